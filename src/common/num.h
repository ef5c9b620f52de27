/* SPDX-License-Identifier: Apache-2.0 */
/* Number formatting shared by the JSON writers (Avro JSON records, SenML JSON). */
#ifndef ZL_NUM_H
#define ZL_NUM_H

/* The fewest significant digits (15, 16 or 17) with which "%.*g" of d reads
 * back as exactly d: 21.55 -> 15 ("21.55"), where 17 would print
 * 21.550000000000001.  Any decimal of up to 15 digits survives a double, so
 * nothing below 15 can be shorter.  d must be finite. */
int zl_double_precision(double d);

#endif
