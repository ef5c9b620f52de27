/* SPDX-License-Identifier: Apache-2.0 */
/* See num.h. */
#include "common/num.h"

#include <stdio.h>
#include <stdlib.h>

int zl_double_precision(double d) {
    char tmp[40];
    for (int prec = 15; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) return prec;
    }
    return 17;
}
