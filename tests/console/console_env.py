# SPDX-License-Identifier: Apache-2.0
"""The console suite's settings shared by conftest.py and the tests (one module, so every importer
sees the same values): the users' passwords and the API tokens (random per run), and the timings
the gateways and the console are started with."""
from __future__ import annotations

import secrets

PASSWORDS = {"alice": "alice-" + secrets.token_hex(6), "victor": "victor-" + secrets.token_hex(6),
             "carol": "carol-" + secrets.token_hex(6)}
TOKENS = {"ci-admin": "tok-admin-" + secrets.token_hex(12), "ci-viewer": "tok-viewer-" + secrets.token_hex(12)}

# The gateways': a request the device does not answer is answered by the gateway after this long
# (the console's own timeout, shorter, answers 504 first); queue-mode devices sleep this soon.
GW_COAP_TIMEOUT_MS = 6000
QUEUE_AWAKE_MS = 1500
# console.request.timeout.ms of every console of the suite
REQUEST_TIMEOUT_MS = 5000
# the browser of test_browser.py: Debian's chromium and chromium-driver
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
