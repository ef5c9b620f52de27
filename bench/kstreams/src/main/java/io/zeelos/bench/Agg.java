// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The state of one (group, window), docs/ANALYTICS.md "Aggregates": count, min, max, sum, last
 * (greatest timestamp, on ties the value read later), lastTimestamp; for max-record also the
 * reading with the largest value (on equal values the earlier one).
 */
final class Agg {
    long count;
    double min, max, sum, last;
    long lastTs;
    // max-record: the maximum reading
    long maxTs;
    String ticket, observationId, serverId, ep, path;

    Agg add(Val v, boolean maxRecord) {
        if (maxRecord && (count == 0 || v.v > max)) {
            maxTs = v.ts;
            ticket = v.ticket;
            observationId = v.observationId;
            serverId = v.serverId;
            ep = v.ep;
            path = v.path;
        }
        if (count == 0) {
            min = max = sum = last = v.v;
            lastTs = v.ts;
        } else {
            if (v.v < min) min = v.v;
            if (v.v > max) max = v.v;
            sum += v.v;
            if (v.ts >= lastTs) {
                last = v.v;
                lastTs = v.ts;
            }
        }
        count++;
        return this;
    }

    static Serde<Agg> serde(boolean maxRecord) {
        Serializer<Agg> ser = (topic, a) -> {
            if (a == null) return null;
            if (!maxRecord) {
                return ByteBuffer.allocate(48).putLong(a.count).putDouble(a.min).putDouble(a.max).putDouble(a.sum)
                        .putDouble(a.last).putLong(a.lastTs).array();
            }
            byte[][] s = {Val.utf8(a.ticket), Val.utf8(a.observationId), Val.utf8(a.serverId), Val.utf8(a.ep),
                Val.utf8(a.path)};
            int len = 56;
            for (byte[] b : s) len += 4 + b.length;
            ByteBuffer bb = ByteBuffer.allocate(len).putLong(a.count).putDouble(a.min).putDouble(a.max)
                    .putDouble(a.sum).putDouble(a.last).putLong(a.lastTs).putLong(a.maxTs);
            for (byte[] b : s) bb.putInt(b.length).put(b);
            return bb.array();
        };
        Deserializer<Agg> de = (topic, data) -> {
            if (data == null) return null;
            ByteBuffer bb = ByteBuffer.wrap(data);
            Agg a = new Agg();
            a.count = bb.getLong();
            a.min = bb.getDouble();
            a.max = bb.getDouble();
            a.sum = bb.getDouble();
            a.last = bb.getDouble();
            a.lastTs = bb.getLong();
            if (maxRecord) {
                a.maxTs = bb.getLong();
                a.ticket = Val.str(bb);
                a.observationId = Val.str(bb);
                a.serverId = Val.str(bb);
                a.ep = Val.str(bb);
                a.path = Val.str(bb);
            }
            return a;
        };
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(ser, de);
    }
}
