/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the Avro schema parser and the compatibility check: the input is
 * two schema texts (split at the first NUL byte, else in half); both are
 * parsed, and when both parse their canonical forms are written and each is
 * checked as reader of the other and through every compatibility level.
 * A schema must be able to read its own data.  Canonical forms are parsed
 * again but may fail to: Parsing Canonical Form drops "namespace", so a type
 * put in the null namespace ("namespace": "") inside a namespaced record comes
 * back in the record's namespace, possibly clashing with another. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/avro_compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Self-compatibility holds unless the comparison gave up on size. */
static void self_check(const zl_avro_schema_t *s) {
    char err[256];
    zl_err_t e = zl_avro_can_read(s, s, err, sizeof err);
    if (e == ZL_ERR_INVALID && !strstr(err, "too deeply nested or too large")) abort();
}

static void exercise(const zl_avro_schema_t *s) {
    char *c = zl_avro_schema_canonical(s);
    if (!c) return;
    zl_avro_schema_t *again = zl_avro_schema_parse(c, strlen(c), NULL, 0);
    if (again) {
        char *c2 = zl_avro_schema_canonical(again);
        free(c2);
        zl_avro_schema_free(again);
    }
    free(c);
    self_check(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t la = nul ? (size_t)(nul - data) : size / 2;
    const char *a = (const char *)data, *b = (const char *)data + (nul ? la + 1 : la);
    size_t lb = size - (size_t)(b - a);
    char err[256];
    zl_avro_schema_t *sa = zl_avro_schema_parse(a, la, err, sizeof err);
    zl_avro_schema_t *sb = zl_avro_schema_parse(b, lb, err, sizeof err);
    if (sa) exercise(sa);
    if (sb) exercise(sb);
    if (sa && sb) {
        zl_avro_can_read(sa, sb, err, sizeof err);
        zl_avro_can_read(sb, sa, err, sizeof err);
        const zl_avro_schema_t *prev[] = {sa, sa};
        for (int l = ZL_COMPAT_NONE; l <= ZL_COMPAT_FULL_TRANSITIVE; l++)
            zl_avro_check_compat((zl_compat_level_t)l, sb, prev, 2, err, sizeof err);
    }
    zl_avro_schema_free(sa);
    zl_avro_schema_free(sb);
    return 0;
}
