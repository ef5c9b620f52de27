/* SPDX-License-Identifier: Apache-2.0 */
/* What `zeelos device` (device.c) shares with its composite operations
 * (device_composite.c): a device stays opaque there, and the composite code
 * reads, writes and observes through the same calls the plain operations use. */
#ifndef ZL_CMD_DEVICE_H
#define ZL_CMD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coap/endpoint.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

typedef struct device device_t;

/* ---- device.c */

/* A fresh node for p (caller frees), or NULL with *code set (4.04). */
zl_node_t *zl_dev_read(device_t *d, const zl_path_t *p, uint8_t *code);
/* 0 if v may be written to p (v NULL: any value), else the CoAP code:
 * 4.04 p does not exist, 4.05 p is not writable, 4.00 v does not fit. */
uint8_t zl_dev_write_check(device_t *d, const zl_path_t *p, const zl_value_t *v);
/* Writes v to p; zl_dev_write_check() must have said 0. */
void zl_dev_write(device_t *d, const zl_path_t *p, const zl_value_t *v);
/* Sends a notification to every observer of something in oid/iid (CON
 * notifications: one whose last is still unacknowledged gets the then-current
 * state once it is). */
void zl_dev_notify(device_t *d, uint16_t oid, uint16_t iid);
/* Applies req's Observe option obs (0 registers, 1 cancels; either drops an
 * earlier observation with req's token) for path p in format accept.  paths
 * (n_paths of them, malloc'd or NULL) make the observation composite: the
 * device owns them from here on.  True if registered (the answer then
 * carries Observe: 0). */
bool zl_dev_observe(device_t *d, const zl_coap_addr_t *peer, const zl_coap_msg_t *req, int64_t obs,
                    const zl_path_t *p, int accept, zl_path_t *paths, size_t n_paths);
/* True if one of paths is oid, oid/iid or something below oid/iid. */
bool zl_dev_paths_touch(const zl_path_t *paths, size_t n, uint16_t oid, uint16_t iid);

/* ---- device_composite.c */

/* Read-/Observe-Composite (FETCH /) and Write-Composite (iPATCH /); resp's
 * payload may point into body, which must outlive the answer. */
void zl_dev_fetch(device_t *d, const zl_coap_addr_t *peer, const zl_coap_msg_t *req, zl_coap_msg_t *resp,
                  zl_buf_t *body);
void zl_dev_ipatch(device_t *d, const zl_coap_msg_t *req, zl_coap_msg_t *resp, zl_buf_t *body);
/* Every value the device has under paths, as SenML cf (110 or 112) with
 * absolute names; absent paths are left out. */
zl_err_t zl_dev_composite_encode(device_t *d, const zl_path_t *paths, size_t n, int cf, zl_buf_t *out);

#endif
