/* `zeelos gateway`: an LwM2M server on CoAP/UDP whose northbound side is Kafka.
 *
 * One zl_gw_t holds everything (no globals), so tests can run two gateways in
 * one process.  zl_gw_run() runs the event loop on the calling thread until
 * zl_gw_stop() (async-signal-safe) is called. */
#ifndef ZL_GATEWAY_H
#define ZL_GATEWAY_H

#include <stddef.h>
#include "common/conf.h"

typedef struct zl_gw zl_gw_t;

/* Binds sockets, opens the store (restoring registrations and observations),
 * registers schemas, connects Kafka. conf must outlive the gateway. */
zl_gw_t *zl_gw_new(const zl_conf_t *conf, char *errstr, size_t errstr_size);
int zl_gw_run(zl_gw_t *gw);
void zl_gw_stop(zl_gw_t *gw);
/* The UDP port the CoAP endpoint is bound to (coap.port=0 picks one). */
int zl_gw_coap_port(const zl_gw_t *gw);
/* Flushes Kafka (bounded) and frees everything. */
void zl_gw_destroy(zl_gw_t *gw);

#endif
