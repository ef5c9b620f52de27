/* SPDX-License-Identifier: Apache-2.0 */
/* Request parts from text: a typed value, the instance of a create, execute
 * arguments checked against LwM2M 1.1.  Pure functions (no Kafka), shared by
 * `zeelos request` (command-line words) and `zeelos console` (API calls). */
#ifndef ZL_REQ_ARGS_H
#define ZL_REQ_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lwm2m/node.h"

/* Converts text to a value of type (STRING, INTEGER, FLOAT, BOOLEAN true|false|1|0,
 * OPAQUE as Base64, TIME as seconds since the epoch, OBJLNK as "oid:iid") into
 * v (whose bytes it then owns).  0, or -1 with err saying why. */
int zl_req_parse_value(zl_type_t type, const char *text, zl_value_t *v, char *err, size_t n);

/* The instance a create sends: list is "RID[/RIID][:TYPE]=VALUE" items
 * separated by ',' ("\," and "\\" stand for ',' and '\' inside a value).  A
 * value's type is TYPE when given, else the built-in model's type of
 * /oid/RID, else fallback.  Items sharing a RID with /RIID form one multiple
 * resource.  Returns a new ZL_N_INSTANCE node with id iid (caller frees it),
 * or NULL with err saying why. */
zl_node_t *zl_req_create_node(uint16_t oid, uint16_t iid, const char *list, zl_type_t fallback, char *err,
                              size_t n);

/* True if args is a valid LwM2M 1.1 Execute argument list (an empty one
 * included): arg *("," arg), arg = DIGIT ["='" *argchar "'"], argchar any
 * printable ASCII but space, '"', '\'' and '\\'.  Else false with err naming
 * the first offending character and the expected form. */
bool zl_req_execute_args_ok(const char *args, char *err, size_t n);

#endif
