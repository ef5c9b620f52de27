/* SPDX-License-Identifier: Apache-2.0 */
/* Address helpers of the CoAP transport seam (transport.h): comparing,
 * hashing, printing and parsing peer addresses, shared by every transport
 * and by the message layer. */
#include "coap/transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

int zl_coap_addr_host(const zl_coap_addr_t *a, char *out, size_t out_size) {
    const void *src = a->sa.ss_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)&a->sa)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
    if (!inet_ntop(a->sa.ss_family, src, out, (socklen_t)out_size)) {
        snprintf(out, out_size, "?");
    }
    return (int)strlen(out);
}

int zl_coap_addr_port(const zl_coap_addr_t *a) {
    return a->sa.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&a->sa)->sin_port)
                                      : ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

zl_err_t zl_coap_addr_parse(const char *host, int port, zl_coap_addr_t *out) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo *res = NULL;
    if (getaddrinfo(host && *host ? host : NULL, ps, &hints, &res) != 0 || !res) return ZL_ERR_INVALID;
    memset(out, 0, sizeof *out);
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return ZL_OK;
}
