# SPDX-License-Identifier: Apache-2.0
# zeelos: thin wrapper over CMake plus the local Kafka, the demo and the tests.
# `make demo` and `make test` each install what they need on a fresh machine.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
KAFKA_PORT ?= 9092
export KAFKA_PORT

.PHONY: all deps build asan test test-unit test-e2e test-faults test-sites test-sinks test-analytics test-console test-dtls test-security \
        sites-up sites-down \
        kafka-up kafka-down kstreams \
        registry-up registry-down \
        demo demo-stop fuzz docs clean pydeps bench

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/librdkafka.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)
	@echo "built $(BUILD)/zeelos"

# AddressSanitizer + UndefinedBehaviorSanitizer build (unit tests and e2e run on it).
asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DZEELOS_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)

pydeps:
	@bash scripts/pydeps.sh

kafka-up: deps
	@bash scripts/kafka.sh up

kafka-down:
	@bash scripts/kafka.sh down

registry-up: build kafka-up
	@bash scripts/registry.sh up

registry-down:
	@bash scripts/registry.sh down

test-unit: asan
	cd $(ASAN_BUILD) && ctest --output-on-failure

# End-to-end: real Kafka broker, real CoAP peers (libcoap coap-client, aiocoap),
# Kafka decoded by confluent-kafka + fastavro. Runs against the sanitizer build.
test-e2e: asan kafka-up pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q tests/e2e

# Fault suite: its own broker on 9392/9393 (killed, frozen, stopped by the tests), ~4 min.
test-faults: asan pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/faults

# Two sites (edge and cloud clusters, a registry each, MirrorMaker 2): their own brokers on
# 9592/9593 and 9692/9693 (scripts/sites.sh), ~5 min with MirrorMaker's start-up.
test-sites: asan pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/sites

sites-up: build
	@bash scripts/sites.sh up

sites-down:
	@bash scripts/sites.sh down

# Sinks: the e2e broker plus a real InfluxDB 1.x and PostgreSQL 15, started by the suite
# (scripts/influxdb.sh on 8186, scripts/postgres.sh on 5442) in .zeelos-run-sinks/.
test-sinks: asan kafka-up pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/sinks

# Analytics: the e2e broker and registry; `zeelos analytics` against a generator whose aggregates are
# known, SIGKILLed mid-window, two instances in a group, and the Kafka Streams 4.4 peer (bench/kstreams,
# built with Maven from Maven Central) that must agree window for window.
test-analytics: asan kafka-up pydeps kstreams
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/analytics

kstreams:
	@bash bench/kstreams.sh build

# Console: the e2e broker, a registry, gateways and aiocoap devices; `zeelos console` driven through
# its REST/SSE API (every answer validated against docs/console-api.yaml) and in headless Chromium
# (Debian's chromium + chromium-driver, Selenium); screenshots under the pytest tmp dir.
test-console: asan kafka-up pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/console

# DTLS (coaps): libcoap's OpenSSL and GnuTLS coap-clients, the Leshan client library's peer
# (tests/peers/leshan-client, built by Maven from Maven Central) and hand-made DTLS records.
test-dtls: asan kafka-up pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/dtls

# Security (TLS): scripts/certs.sh, a broker of its own with an SSL listener requiring client
# certificates and ACLs (9792 plain, 9793 controller, 9794 SSL; .zeelos-run-security), gateways and
# `zeelos request` over SSL, `zeelos registry` over HTTPS with client certificates or basic auth
# (18081, 18082). Peers: confluent-kafka, curl, openssl, keytool.
test-security: asan pydeps
	ZEELOS_BIN=$(CURDIR)/$(ASAN_BUILD)/zeelos .venv/bin/python -m pytest -q -rA tests/security

test: build test-unit test-e2e test-sinks test-analytics test-console test-dtls test-security test-sites

demo: build
	@bash scripts/demo.sh

demo-stop:
	@bash scripts/demo.sh stop

# libFuzzer targets (clang), each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Benchmarks (not tests): reproduce bench/RESULTS.md; needs make kafka-up.
BENCH_BUILD ?= build-bench
bench: deps kafka-up
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build $(BENCH_BUILD) -j$(JOBS)
	bench/run.sh $(BENCH_BUILD) $(BENCH_RUNS)

docs: build
	$(BUILD)/zeelos config-doc docs/CONFIGURATION.md

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
