/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the OMA DDF parser through zl_models_load_xml: never crashes, leaks
 * or hangs; a failure leaves the handle empty with a message; on success
 * every loaded object and resource is found by the lookups, resources are
 * sorted and unique, names are NUL-free strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/ddf.h"
#include "lwm2m/model.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int quiet;
    if (!quiet) { zl_log_set_level(ZL_LOG_ERROR); quiet = 1; }
    zl_ddf_t d;
    char err[256];
    zl_err_t e = zl_ddf_parse((const char *)data, size, "fuzz.xml", &d, err, sizeof err);
    if (e) {
        if (d.n || d.v || !err[0]) abort();
    } else {
        if (d.n == 0 || d.n > ZL_DDF_MAX_OBJECTS) abort();
        for (size_t i = 0; i < d.n; i++) {
            const zl_obj_model_t *o = d.v[i];
            if (!o->name || o->id > 65534) abort();
            for (unsigned r = 0; r < o->n_res; r++) {
                if (!o->res[r].name || !o->res[r].ops || o->res[r].type > ZL_T_NONE) abort();
                if (r && o->res[r].id <= o->res[r - 1].id) abort();
            }
        }
    }
    zl_models_t *m = zl_models_new();
    if (!m) { zl_ddf_free(&d); return 0; }
    zl_err_t e2 = zl_models_load_xml(m, (const char *)data, size, "fuzz.xml", err, sizeof err);
    if ((e2 == ZL_OK) != (e == ZL_OK)) abort();
    if (e2 && zl_models_loaded(m)) abort();
    if (!e2) {
        if (zl_models_loaded(m) != d.n) abort();
        for (size_t i = 0; i < d.n; i++) {
            const zl_obj_model_t *o = zl_models_object(m, d.v[i]->id);
            if (!o || o->n_res != d.v[i]->n_res || strcmp(o->name, d.v[i]->name) != 0) abort();
            for (unsigned r = 0; r < o->n_res; r++) {
                const zl_res_model_t *rm = zl_models_resource(m, o->id, o->res[r].id);
                if (rm != &o->res[r] || rm->type != d.v[i]->res[r].type) abort();
            }
        }
        /* loading the same objects again is a duplicate and changes nothing */
        size_t n = zl_models_loaded(m);
        if (zl_models_load_xml(m, (const char *)data, size, "again.xml", err, sizeof err) == ZL_OK) abort();
        if (zl_models_loaded(m) != n) abort();
    }
    zl_models_destroy(m);
    zl_ddf_free(&d);
    return 0;
}
