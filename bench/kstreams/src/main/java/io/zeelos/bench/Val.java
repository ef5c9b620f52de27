// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * One numeric value on its way to a window: what crosses the repartition topic. Aggregate jobs
 * need only the timestamp and the number; max-record jobs also carry the reading's identity.
 */
final class Val {
    int partition;
    long ts;
    double v;
    String path;
    // max-record only
    String ticket, observationId, serverId, ep;

    static Serde<Val> serde(boolean full) {
        Serializer<Val> ser = (topic, x) -> {
            if (x == null) return null;
            if (!full) {
                return ByteBuffer.allocate(20).putInt(x.partition).putLong(x.ts).putDouble(x.v).array();
            }
            byte[][] s = {utf8(x.path), utf8(x.ticket), utf8(x.observationId), utf8(x.serverId), utf8(x.ep)};
            int len = 20;
            for (byte[] b : s) len += 4 + b.length;
            ByteBuffer bb = ByteBuffer.allocate(len).putInt(x.partition).putLong(x.ts).putDouble(x.v);
            for (byte[] b : s) bb.putInt(b.length).put(b);
            return bb.array();
        };
        Deserializer<Val> de = (topic, data) -> {
            if (data == null) return null;
            ByteBuffer bb = ByteBuffer.wrap(data);
            Val x = new Val();
            x.partition = bb.getInt();
            x.ts = bb.getLong();
            x.v = bb.getDouble();
            if (full) {
                x.path = str(bb);
                x.ticket = str(bb);
                x.observationId = str(bb);
                x.serverId = str(bb);
                x.ep = str(bb);
            }
            return x;
        };
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(ser, de);
    }

    static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(ByteBuffer bb) {
        int n = bb.getInt();
        String s = new String(bb.array(), bb.position(), n, StandardCharsets.UTF_8);
        bb.position(bb.position() + n);
        return s;
    }
}
