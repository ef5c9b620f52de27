// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Observation values: Confluent framing (magic 0, 4-byte big-endian schema id, Avro binary) with
 * the writer schema fetched once per id from the registry ({@code GET /schemas/ids/<id>}), or the
 * Avro JSON encoding ({@code --format json}). Never throws: a record that does not decode becomes
 * {@link Obs#UNDECODABLE} (counted, no values), as zeelos analytics skips it.
 */
final class ObsDeserializer implements Deserializer<Obs> {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Keeps an Avro map's entries in the order they were written (the C reader's order). */
    private static final class OrderedReader extends GenericDatumReader<GenericRecord> {
        OrderedReader(Schema s) {
            super(s);
        }

        @Override
        protected Object newMap(Object old, int size) {
            if (old instanceof LinkedHashMap) {
                ((Map<?, ?>) old).clear();
                return old;
            }
            return new LinkedHashMap<>(Math.max(4, size * 2));
        }
    }

    private final boolean json;
    private final String registry;
    private final HttpClient http;
    private final Map<Integer, OrderedReader> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();
    private long lastLog;
    long undecodable;

    ObsDeserializer(boolean json, String registry) {
        this.json = json;
        this.registry = registry.endsWith("/") ? registry.substring(0, registry.length() - 1) : registry;
        this.http = json ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public Obs deserialize(String topic, byte[] data) {
        if (data == null || data.length == 0) return Obs.UNDECODABLE; // a tombstone
        try {
            if (json) return ObsDecoder.fromJson(JSON.readTree(data));
            if (data.length < 5 || data[0] != 0) throw new ObsDecoder.Bad("not Confluent-framed Avro");
            int id = ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
            OrderedReader r = reader(id);
            BinaryDecoder d = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, decoders.get());
            decoders.set(d);
            return ObsDecoder.fromAvro(r.read(null, d));
        } catch (ObsDecoder.Bad | IOException | RuntimeException e) {
            undecodable++;
            long now = System.currentTimeMillis();
            if (now - lastLog >= 60_000) {
                lastLog = now;
                System.err.println("kstreams-peer: " + topic + ": undecodable record skipped: " + e);
            }
            return Obs.UNDECODABLE;
        }
    }

    /** The reader of a writer schema id; waits (with backoff) while the registry is unreachable. */
    private OrderedReader reader(int id) throws ObsDecoder.Bad {
        OrderedReader r = readers.get(id);
        if (r != null) return r;
        long wait = 100;
        for (;;) {
            try {
                HttpRequest req = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id))
                        .timeout(Duration.ofSeconds(10)).GET().build();
                HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (resp.statusCode() == 404) throw new ObsDecoder.Bad("schema id " + id + " unknown to the registry");
                if (resp.statusCode() != 200) throw new IOException("registry answered " + resp.statusCode());
                JsonNode j = JSON.readTree(resp.body());
                JsonNode text = j.get("schema");
                if (text == null || !text.isTextual()) throw new ObsDecoder.Bad("registry answer without schema");
                Schema s = new Schema.Parser().parse(text.textValue());
                r = new OrderedReader(s);
                readers.put(id, r);
                return r;
            } catch (IOException e) {
                System.err.println("kstreams-peer: schema id " + id + ": " + e + "; retrying");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ObsDecoder.Bad("interrupted");
            } catch (RuntimeException e) {
                throw new ObsDecoder.Bad("schema id " + id + ": " + e);
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ObsDecoder.Bad("interrupted");
            }
            wait = Math.min(wait * 2, 5000);
        }
    }
}
