/* The property table behind util/conf.c (see conf.h): one entry per
 * property, from which the flag, environment variable, file key, --help line
 * and docs/CONFIGURATION.md row are derived.  Shared by conf.c (parser, help,
 * docs) and conf_props.c (the table itself, data only). */
#ifndef ZL_CONF_INT_H
#define ZL_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    ZL_PT_STR,
    ZL_PT_INT,
    ZL_PT_BOOL,
    ZL_PT_ENUM,
    ZL_PT_KAFKA, /* kafka.* passthrough key with a zeelos default */
} zl_ptype_t;

enum { ZL_CMD_GATEWAY = 1, ZL_CMD_DEVICE = 2, ZL_CMD_REQUEST = 4, ZL_CMD_TAIL = 8, ZL_CMD_BENCH = 16,
       ZL_CMD_ALL = 31 };
#define ZL_CMD_GRT (ZL_CMD_GATEWAY | ZL_CMD_REQUEST | ZL_CMD_TAIL | ZL_CMD_BENCH)
#define ZL_CMD_DB (ZL_CMD_DEVICE | ZL_CMD_BENCH)

typedef struct {
    const char *name;
    zl_ptype_t type;
    const char *def;
    int64_t min, max;    /* ZL_PT_INT only */
    const char *values;  /* ZL_PT_ENUM: allowed values, '|' separated, canonical spelling */
    const char *aliases; /* extra flags, ' ' separated ("--gw") */
    unsigned cmds;       /* ZL_CMD_* bits: which commands read it */
    const char *section;
    const char *doc; /* first sentence = --help text; Markdown backticks allowed */
} zl_prop_t;

#define S_GEN "General"
#define S_COAP "CoAP / LwM2M server"
#define S_HTTP "HTTP endpoint"
#define S_KAFKA "Kafka and Schema Registry"
#define S_TOPIC "Topics"
#define S_REG "Registrations"
#define S_DEV "zeelos device"
#define S_REQ "zeelos request"
#define S_TAIL "zeelos tail"
#define S_BENCH "zeelos bench"

/* Number of entries of zl_props; conf_props.c checks it at compile time. */
#define ZL_NPROPS 56

extern const zl_prop_t *const zl_props; /* ZL_NPROPS entries */
extern const char *const zl_sections[10];
typedef struct {
    unsigned bit;
    const char *name;
} zl_cmd_t;
extern const zl_cmd_t zl_cmds[5];

#endif
