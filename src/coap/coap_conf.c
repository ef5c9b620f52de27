/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of zl_coap_conf_t (data only; see coap_conf.h). */
#include "coap/coap_conf.h"

static const zl_conf_prop_t props[] = {
    {.name = "coap.ack.timeout.ms", .type = ZL_CONF_INT, .def = "2000", .min = 100, .max = 60000,
     ZL_CONF_FIELD(zl_coap_conf_t, ack_timeout_ms),
     .doc = "Initial retransmission timeout of confirmable CoAP messages, in milliseconds (RFC 7252 "
            "ACK_TIMEOUT). The first wait is chosen at random between 1 and 1.5 times this value and "
            "doubles with each retransmission."},
    {.name = "coap.max.retransmit", .type = ZL_CONF_INT, .def = "4", .min = 0, .max = 20,
     ZL_CONF_FIELD(zl_coap_conf_t, max_retransmit),
     .doc = "Retransmissions of a confirmable CoAP message before the peer counts as unreachable (RFC "
            "7252 MAX_RETRANSMIT). With the defaults the sender gives up at most about 93 s after the "
            "first transmission (RFC 7252 MAX_TRANSMIT_WAIT = 2 s × (2^5 − 1) × 1.5)."},
    {.name = "coap.max.payload", .type = ZL_CONF_INT, .def = "65536", .min = 1024, .max = 16777216,
     ZL_CONF_FIELD(zl_coap_conf_t, max_payload),
     .doc = "Largest CoAP body, in bytes, reassembled from a block-wise transfer (RFC 7959 Block1 / "
            "Block2). A larger transfer is aborted with 4.13 Request Entity Too Large."},
};
const zl_conf_table_t zl_coap_conf_table = ZL_CONF_TABLE("CoAP / LwM2M server", props);
