/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP settings shared by every CoAP endpoint of a role (the gateway's
 * server, the simulated devices): RFC 7252 retransmission and the RFC 7959
 * reassembly limit, with their property table (see common/conf.h). */
#ifndef ZL_COAP_CONF_H
#define ZL_COAP_CONF_H

#include "common/conf.h"

typedef struct {
    int ack_timeout_ms; /* coap.ack.timeout.ms */
    int max_retransmit; /* coap.max.retransmit */
    int max_payload;    /* coap.max.payload, bytes */
    int block_max_uploads; /* coap.block.max.uploads */
    int block_max_bytes;   /* coap.block.max.bytes */
} zl_coap_conf_t;

/* "CoAP / LwM2M server": binds a zl_coap_conf_t. */
extern const zl_conf_table_t zl_coap_conf_table;

#endif
