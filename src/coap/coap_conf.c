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
    {.name = "coap.block.max.uploads", .type = ZL_CONF_INT, .def = "1024", .min = 1, .max = 1048576,
     ZL_CONF_FIELD(zl_coap_conf_t, block_max_uploads),
     .doc = "Incomplete Block1 uploads (block-wise requests, one per peer address) kept at once. Any "
            "address can start one, so the least recently used is dropped beyond this (its next block "
            "gets 4.08 Request Entity Incomplete), counted in `zeelos_coap_block_evicted_total`."},
    {.name = "coap.block.max.bytes", .type = ZL_CONF_INT, .def = "16777216", .min = 65536, .max = 1073741824,
     ZL_CONF_FIELD(zl_coap_conf_t, block_max_bytes),
     .doc = "Bytes held by all incomplete Block1 uploads together; beyond it the least recently used "
            "uploads are dropped as above (a single upload is bounded by `coap.max.payload`)."},
};
const zl_conf_table_t zl_coap_conf_table = ZL_CONF_TABLE("CoAP / LwM2M server", props);
