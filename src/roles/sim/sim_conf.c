/* SPDX-License-Identifier: Apache-2.0 */
/* Property tables of zl_sim_conf_t (data only; see sim.h). */
#include <stdint.h>

#include "roles/sim/sim.h"

static const zl_conf_prop_t fleet[] = {
    {.name = "ep", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_sim_conf_t, ep),
     .doc = "Endpoint (device) name the simulated device registers with, or the name prefix when "
            "`device.count` > 1. Empty: `zeelos device` generates a random 32-hex-digit name per "
            "device, like the seed demo client. `zeelos bench`: the fleet's name prefix (empty: `bench`)."},
    {.name = "device.server", .type = ZL_CONF_STR, .def = "coap://127.0.0.1:5683",
     .aliases = "--server", ZL_CONF_FIELD(zl_sim_conf_t, server),
     .doc = "LwM2M server URI the simulated devices register with (`coap://host:port`)."},
    {.name = "device.count", .type = ZL_CONF_INT, .def = "1", .min = 1, .max = 100000,
     .aliases = "--count", ZL_CONF_FIELD(zl_sim_conf_t, count),
     .doc = "Number of simulated devices (independent LwM2M clients, each with its own endpoint name "
            "and UDP source port). A fleet prints a status line to stderr every 5 s: registered, "
            "updates, notifications sent, errors."},
    {.name = "device.lifetime", .type = ZL_CONF_INT, .def = "30", .min = 1, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_sim_conf_t, lifetime),
     .doc = "Registration lifetime, in seconds, the simulated devices announce (`lt`). They send a "
            "registration update before it elapses."},
    {.name = "device.ramp", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 10000000,
     ZL_CONF_FIELD(zl_sim_conf_t, ramp),
     .doc = "Registration ramp of a fleet: new registrations per second over all workers. 0: as fast "
            "as possible. Either way at most 256 registrations per worker are outstanding at a time, "
            "so a slow server is not flooded with retransmissions."},
    {.name = "device.notify.ms", .type = ZL_CONF_INT, .def = "1000", .min = 10, .max = 86400000,
     ZL_CONF_FIELD(zl_sim_conf_t, notify_ms),
     .doc = "How often, in milliseconds, each simulated device's temperature `/3303/0/5700` changes "
            "(and is notified to its observers); `/3303/1` changes at twice this period. The first "
            "change of each device is at a random phase so a fleet does not tick in lockstep."},
    {.name = "device.notify.con", .type = ZL_CONF_BOOL, .def = "false",
     ZL_CONF_FIELD(zl_sim_conf_t, notify_con),
     .doc = "Send notifications as confirmable (CON) messages, retransmitted until the server "
            "acknowledges them, instead of NON. Retransmission follows `coap.ack.timeout.ms` and "
            "`coap.max.retransmit`, so a gateway under backpressure can hold notifications back "
            "without losing them (`zeelos bench` passes the option to its fleet). At most one "
            "CON notification per observation is in flight; changes meanwhile are not queued: once it "
            "is acknowledged the then-current state is sent (RFC 7641 §4.5.2). One never acknowledged "
            "ends the observation. Either type answered with RST ends it too (the server forgot it). "
            "The fleet status line adds retransmissions, CON notifications timed out and observations "
            "reset by the server."},
    {.name = "device.workers", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 64,
     ZL_CONF_FIELD(zl_sim_conf_t, workers),
     .doc = "Worker processes a fleet is split over (each with its own event loop, timer wheel and "
            "slice of the devices; one UDP socket per device). 0: `ceil(device.count / 15000)`, which "
            "keeps every worker under a 20,000 open-file limit. Each worker raises its soft "
            "`RLIMIT_NOFILE` to the hard limit and refuses to start if its slice does not fit."},
    {.name = "device.shared.socket", .type = ZL_CONF_BOOL, .def = "false",
     ZL_CONF_FIELD(zl_sim_conf_t, shared_socket),
     .doc = "Run each worker's devices on ONE UDP socket instead of one socket per device, for load "
            "generation. Every device gets its own source address in 127.0.0.0/8 (device `i`: "
            "127.1.0.1 + `i`, skipping .0 and .255) and the worker's port, chosen per datagram with "
            "IP_PKTINFO, so the gateway sees distinct devices; each keeps its own CoAP endpoint "
            "(registration, updates, reads, writes, observe requests as usual). Datagrams go out in "
            "batches of up to 256 per sendmmsg. `/3303/0` of every device changes in one sweep per "
            "`device.notify.ms`, device `i` at phase `i/n` of the period (not a random phase). A NON "
            "notification in a format that writes numbers as fixed-width doubles (TLV, SenML CBOR, "
            "LwM2M CBOR) is a datagram precomputed when the observation starts, of which only the MID, "
            "the Observe number and the values are rewritten; other formats, composite observations "
            "and `device.notify.con` take the ordinary path. Cost: ~0.1 us of user CPU per "
            "notification plus the kernel's ~2-3 us per loopback datagram (bench/FLEET.md). Needs a "
            "server on 127.0.0.0/8; `device.bind` and `device.port` do not apply; `device.workers` 0 "
            "means 1 worker."},
    {.name = "device.bind", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_sim_conf_t, bind),
     .doc = "Comma-separated local addresses the devices' sockets are bound to, assigned round-robin "
            "(device `i` uses address `i mod n`), e.g. `127.0.0.1,127.0.0.2,127.0.0.3`. Empty: the "
            "wildcard address of the server's family (for a server on 127.0.0.1 that is the same as "
            "`127.0.0.1`). Every device needs its own source port and an address has only the "
            "ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, 28,232 ports by default) to "
            "give, so more than 25,000 devices per address is refused with an error: add addresses "
            "(any 127.0.0.x works on Linux loopback) for bigger fleets."},
};
const zl_conf_table_t zl_sim_fleet_conf_table = ZL_CONF_TABLE("zeelos device", fleet);

static const zl_conf_prop_t device[] = {
    {.name = "device.port", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 65535,
     ZL_CONF_FIELD(zl_sim_conf_t, port),
     .doc = "Local UDP port of the device socket (device `i` uses `device.port` + `i`). 0: a free "
            "(ephemeral) port chosen by the operating system."},
    {.name = "device.bench", .type = ZL_CONF_BOOL, .def = "false",
     ZL_CONF_FIELD(zl_sim_conf_t, bench),
     .doc = "Benchmark mode (set by `zeelos bench` for the fleet it starts): `/3303/0/5700` carries the "
            "time the notification is sent, in microseconds since the epoch (a FLOAT: doubles hold "
            "integers up to 2^53 exactly), and `/3303/0/5601` a per-device sequence number that grows "
            "by one with every change of `/3303/0`, every `device.notify.ms`; `/3303/1` does not "
            "change."},
};
const zl_conf_table_t zl_sim_conf_table = ZL_CONF_TABLE("zeelos device", device);
