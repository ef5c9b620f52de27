// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

/**
 * One observation record, already flattened into its values (docs/ANALYTICS.md "Values"): the
 * fields the group keys and the max-record output need, and every resource value in the order the
 * C reader (src/kafka/serde_read.c) walks them. {@code numeric[i]} says whether value i is a
 * number (the Avro double or long branch); only those are aggregated.
 */
final class Obs {
    /** An undecodable record: counted as a record, contributes no value. */
    static final Obs UNDECODABLE = new Obs();

    String ticket = "";
    String observationId = "";
    String serverId;
    String ep;
    long timestamp;
    boolean ok;

    String[] paths = new String[4];
    double[] values = new double[4];
    boolean[] numeric = new boolean[4];
    int n;

    /** Set by the first processor: the input partition, for the partition-preserving repartition. */
    int partition;

    void add(String path, double v, boolean isNumeric) {
        if (n == paths.length) {
            paths = java.util.Arrays.copyOf(paths, n * 2);
            values = java.util.Arrays.copyOf(values, n * 2);
            numeric = java.util.Arrays.copyOf(numeric, n * 2);
        }
        paths[n] = path;
        values[n] = v;
        numeric[n] = isNumeric;
        n++;
    }

    int numericCount() {
        int c = 0;
        for (int i = 0; i < n; i++) if (numeric[i]) c++;
        return c;
    }
}
