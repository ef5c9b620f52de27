/* SPDX-License-Identifier: Apache-2.0 */
/* UDP transport for the CoAP endpoint (coap/transport.h): a non-blocking
 * socket read with recvmmsg and written with sendmmsg. */
#ifndef ZL_COAP_UDP_H
#define ZL_COAP_UDP_H
#include <stddef.h>

#include "coap/transport.h"
/* Binds host:port and fills io (io->local = the address bound, port resolved
 * for port 0).  sock_buf > 0 sets the receive and send buffers (bytes; with
 * SO_RCVBUFFORCE where the process may, else capped by net.core.rmem_max), 0
 * keeps the kernel default.  Kernel drops are counted (io->drops).  The caller owns io until it passes it to zl_coap_ep_new()
 * (or closes it with io->close(io->impl)).  errstr names the address and
 * errno on failure (io is then untouched). */
zl_err_t zl_udp_open(const char *host, int port, int sock_buf, zl_coap_io_t *io, char *errstr,
                     size_t errstr_size);
/* The receive buffer the kernel granted fd, in bytes of payload room (half
 * what SO_RCVBUF reports), or -1. */
int zl_udp_rcvbuf(int fd);
#endif
