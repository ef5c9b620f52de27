/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP response code a zeelos error becomes when the gateway answers a
 * device with it (kept in coap/ so common/err knows no protocol). */
#ifndef ZL_COAP_ERRCODE_H
#define ZL_COAP_ERRCODE_H

#include <stdint.h>
#include "common/err.h"

/* class<<5 | detail (ZL_COAP_* of coap/msg.h); 2.05 for ZL_OK, 5.00 for a
 * code outside zl_err_t. */
uint8_t zl_coap_err_code(zl_err_t err);

#endif
