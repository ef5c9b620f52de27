/* SPDX-License-Identifier: Apache-2.0 */
/* Property tables of `zeelos request` and `zeelos tail` (data only; see tools.h). */
#include <stdint.h>

#include "roles/tools/tools.h"

static const zl_conf_prop_t request[] = {
    {.name = "ep", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_request_conf_t, ep),
     .doc = "Endpoint (device) name the request is sent to (required)."},
    {.name = "ticket", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_request_conf_t, ticket),
     .doc = "Correlation id of the management request, echoed in its response on "
            "`topic.management.rep`. Empty: a random ticket is generated."},
    {.name = "request.wait.ms", .type = ZL_CONF_INT, .def = "75000", .min = 1, .max = 86400000,
     .aliases = "--timeout-ms", ZL_CONF_FIELD(zl_request_conf_t, wait_ms),
     .doc = "How long `zeelos request` waits for the response, in milliseconds, before it exits with "
            "status 3. The default outlasts the gateway's own wait for the device (`coap.request.timeout.ms`, "
            "60000 by default), so a device that never answers is reported by the gateway's timeout response; "
            "a shorter wait can give up while the device is still answering."},
    {.name = "type", .type = ZL_CONF_ENUM, .def = "STRING",
     .values = "STRING|INTEGER|FLOAT|BOOLEAN|OPAQUE|TIME|OBJLNK", ZL_CONF_FIELD(zl_request_conf_t, type),
     .doc = "LwM2M data type of the value of a write, and of create values the built-in model does not "
            "type. The value argument is converted to this type before it is sent."},
    {.name = "mode", .type = ZL_CONF_ENUM, .def = "REPLACE",
     .values = "REPLACE|UPDATE", ZL_CONF_FIELD(zl_request_conf_t, mode),
     .doc = "Write mode. `REPLACE` (CoAP PUT) replaces the whole object instance or resource; `UPDATE` "
            "(CoAP POST) changes only the resources given (LwM2M partial update)."},
    {.name = "depth", .type = ZL_CONF_INT, .def = "-1", .min = -1, .max = 3,
     ZL_CONF_FIELD(zl_request_conf_t, depth),
     .doc = "Discover depth (LwM2M 1.2, 0-3) sent as the zeelos 1.1 `payload.depth`. -1: none (the "
            "device's default)."},
    {.name = "content.format", .type = ZL_CONF_INT, .def = "-1", .min = -1, .max = 65535,
     .aliases = "--cf", ZL_CONF_FIELD(zl_request_conf_t, content_format),
     .doc = "CoAP content format number of the request (11542 TLV, 110 SenML JSON, 112 SenML CBOR, "
            "11543 LwM2M JSON, 11544 LwM2M CBOR; -1: chosen by the gateway). It is sent as the zeelos 1.1 "
            "`payload.contentFormatCode`; without it the request names no format of its own and the gateway "
            "picks one (see docs/KAFKA.md)."},
};
const zl_conf_table_t zl_request_conf_table = ZL_CONF_TABLE("zeelos request", request);

static const zl_conf_prop_t tail[] = {
    {.name = "tail.from.beginning", .type = ZL_CONF_BOOL, .def = "false",
     .aliases = "--from-beginning", ZL_CONF_FIELD(zl_tail_conf_t, from_beginning),
     .doc = "Start at the earliest retained record of every partition instead of printing only records "
            "that arrive after the start."},
    {.name = "tail.max.messages", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = INT64_MAX,
     .aliases = "--max-messages", ZL_CONF_FIELD(zl_tail_conf_t, max_messages),
     .doc = "Exit after printing this many records. 0: run until interrupted."},
    {.name = "request.wait.ms", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 86400000,
     .aliases = "--timeout-ms", ZL_CONF_FIELD(zl_tail_conf_t, idle_ms),
     .doc = "Exit once this long passes without a record, in milliseconds. 0: follow the topics "
            "until interrupted."},
};
const zl_conf_table_t zl_tail_conf_table = ZL_CONF_TABLE("zeelos tail", tail);

static const zl_conf_prop_t security[] = {
    {.name = "security.topic", .type = ZL_CONF_STR, .def = "iot.${id}.security",
     ZL_CONF_FIELD(zl_security_conf_t, topic),
     .doc = "The gateway's compacted topic of device credentials (the gateway's `security.topic`)."},
    {.name = "psk.identity", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_security_conf_t, psk_identity),
     .doc = "`add`: the device's PSK identity (1-128 bytes, unique among the gateway's devices)."},
    {.name = "psk.key", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_security_conf_t, psk_key),
     .doc = "`add`: the pre-shared key in hex (1-64 bytes). A command line is visible to other users "
            "of the machine: prefer `psk.key.file` or the environment variable ZEELOS_PSK_KEY."},
    {.name = "psk.key.file", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_security_conf_t, psk_key_file),
     .doc = "`add`: a file whose first line is the pre-shared key in hex."},
    {.name = "x509", .type = ZL_CONF_BOOL, .def = "false", ZL_CONF_FIELD(zl_security_conf_t, x509),
     .doc = "`add`: the device authenticates with an X.509 certificate (chained to the gateway's "
            "`dtls.ca`) whose subject CN is its endpoint name."},
    {.name = "security.wait.ms", .type = ZL_CONF_INT, .def = "15000", .min = 100, .max = 600000,
     ZL_CONF_FIELD(zl_security_conf_t, wait_ms),
     .doc = "How long `add`/`remove` wait for Kafka to acknowledge the record, and `list` for the topic."},
};
const zl_conf_table_t zl_security_conf_table = ZL_CONF_TABLE("zeelos security", security);
