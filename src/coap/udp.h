/* UDP transport for the CoAP endpoint: a non-blocking socket read with
 * recvmmsg and written with sendmmsg. */
#ifndef ZL_COAP_UDP_H
#define ZL_COAP_UDP_H
#include "coap/endpoint.h"
/* Binds host:port and fills io. sock_buf > 0 sets SO_RCVBUF/SO_SNDBUF (bytes),
 * 0 keeps the kernel default. errstr names the address and errno on failure. */
zl_err_t zl_udp_open(const char *host, int port, int sock_buf, zl_coap_io_t *io,
                     zl_coap_addr_t *bound, char *errstr, size_t errstr_size);
#endif
