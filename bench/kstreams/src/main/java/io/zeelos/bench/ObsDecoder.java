// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Flattens an AvroResponseObserve into an {@link Obs}, finding every field by name as the C
 * reader does (src/kafka/serde_read.c), so any writer schema works: the original texts, zeelos
 * 1.1's extended one with {@code rep.resources}, a hand-written producer's. Order of the values:
 * the read body's content (object → its instances → each instance's resources, then its
 * multipleResources → each one's map entries in the order written), then {@code rep.resources}.
 * A structural error makes the whole record undecodable (null), like the C reader.
 */
final class ObsDecoder {
    private static final int MAX_DEPTH = 8;

    static final class Bad extends Exception {
        Bad(String m) {
            super(m, null, false, false);
        }
    }

    private ObsDecoder() {}

    // ---------------------------------------------------------------- Avro (generic records)

    private static Object field(GenericRecord r, String name) {
        Schema.Field f = r.getSchema().getField(name);
        return f == null ? null : r.get(f.pos());
    }

    private static String str(GenericRecord r, String name) {
        Object v = field(r, name);
        return v instanceof CharSequence ? v.toString() : null;
    }

    static Obs fromAvro(GenericRecord r) throws Bad {
        Obs o = new Obs();
        String t = str(r, "ticket"), oid = str(r, "observationId");
        o.ticket = t == null ? "" : t;
        o.observationId = oid == null ? "" : oid;
        o.serverId = str(r, "serverId");
        o.ep = str(r, "ep");
        String path = str(r, "path");
        Object ts = field(r, "timestamp");
        if (o.serverId == null || o.ep == null || path == null || !(ts instanceof Long || ts instanceof Integer))
            throw new Bad("not an observation: serverId, ep, path or timestamp missing");
        o.timestamp = ((Number) ts).longValue();
        Object rep = field(r, "rep");
        if (!(rep instanceof GenericRecord)) throw new Bad("not an observation: no rep");
        GenericRecord repR = (GenericRecord) rep;
        Object body = field(repR, "body");
        if (body instanceof GenericRecord && "AvroReadResponseBody".equals(((GenericRecord) body).getSchema().getName())) {
            Object content = field((GenericRecord) body, "content");
            if (content != null) avroNode(o, content, 0);
        }
        avroEach(o, repR, "resources", 0);
        o.ok = true;
        return o;
    }

    private static void avroEach(Obs o, GenericRecord rec, String name, int depth) throws Bad {
        Object c = field(rec, name);
        if (c == null) return;
        if (c instanceof Map) {
            for (Object e : ((Map<?, ?>) c).values()) avroNode(o, e, depth + 1);
        } else if (c instanceof Iterable) {
            for (Object e : (Iterable<?>) c) avroNode(o, e, depth + 1);
        } else {
            throw new Bad("resources that are not an array or map");
        }
    }

    private static void avroNode(Obs o, Object v, int depth) throws Bad {
        if (depth > MAX_DEPTH) throw new Bad("resources nested too deep");
        if (v == null) return;
        if (!(v instanceof GenericRecord)) throw new Bad("unexpected (not a record) among resources");
        GenericRecord r = (GenericRecord) v;
        switch (r.getSchema().getName()) {
            case "AvroResource":
                avroResource(o, r);
                return;
            case "AvroMultipleResource":
                avroEach(o, r, "resources", depth);
                return;
            case "AvroInstanceResource":
                avroEach(o, r, "resources", depth);
                avroEach(o, r, "multipleResources", depth);
                return;
            case "AvroObjectResource":
                avroEach(o, r, "instances", depth);
                return;
            default:
                throw new Bad("unexpected record " + r.getSchema().getName() + " among resources");
        }
    }

    private static void avroResource(Obs o, GenericRecord r) throws Bad {
        String path = str(r, "path");
        Object type = field(r, "type");
        Object v = field(r, "value");
        if (path == null || type == null || v == null) throw new Bad("an AvroResource without path, type or value");
        if (v instanceof Double || v instanceof Float) o.add(path, ((Number) v).doubleValue(), true);
        else if (v instanceof Long || v instanceof Integer) o.add(path, (double) ((Number) v).longValue(), true);
        else if (v instanceof CharSequence || v instanceof Boolean) o.add(path, 0, false);
        else throw new Bad("an AvroResource value that is not string, double, long or boolean");
    }

    // ---------------------------------------------------------------- Avro JSON encoding

    /** A union in the Avro JSON encoding: {@code null} or {@code {"<branch name>": value}}. */
    private static final class Branch {
        final String name; // simple name for named types ("AvroResource"), else the type ("double")
        final JsonNode value;

        Branch(String name, JsonNode value) {
            this.name = name;
            this.value = value;
        }
    }

    private static Branch branch(JsonNode u) throws Bad {
        if (u == null || u.isNull()) return null;
        if (!u.isObject() || u.size() != 1) throw new Bad("expected a union value {\"<type name>\": value}");
        Map.Entry<String, JsonNode> e = u.properties().iterator().next();
        String k = e.getKey();
        int dot = k.lastIndexOf('.');
        return new Branch(dot >= 0 ? k.substring(dot + 1) : k, e.getValue());
    }

    private static String jstr(JsonNode obj, String name, boolean required) throws Bad {
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) {
            if (required) throw new Bad("missing field " + name);
            return null;
        }
        if (!v.isTextual()) throw new Bad("expected string for " + name);
        return v.textValue();
    }

    static Obs fromJson(JsonNode r) throws Bad {
        if (r == null || !r.isObject()) throw new Bad("not a JSON object");
        Obs o = new Obs();
        o.ticket = jstr(r, "ticket", true);
        o.observationId = jstr(r, "observationId", true);
        o.serverId = jstr(r, "serverId", true);
        o.ep = jstr(r, "ep", true);
        jstr(r, "path", true);
        JsonNode ts = r.get("timestamp");
        if (ts == null || !ts.isIntegralNumber()) throw new Bad("timestamp missing or not a long");
        o.timestamp = ts.longValue();
        JsonNode rep = r.get("rep");
        if (rep == null || !rep.isObject()) throw new Bad("not an observation: no rep");
        Branch body = branch(rep.get("body"));
        if (body != null && body.name.equals("AvroReadResponseBody")) {
            JsonNode content = body.value.get("content");
            if (content == null) throw new Bad("missing field content");
            Branch c = branch(content);
            if (c != null) jsonNode(o, c, 0);
        }
        Branch res = branch(rep.get("resources"));
        if (res != null) jsonEachArray(o, res.value, "AvroResource", 0);
        o.ok = true;
        return o;
    }

    /** Elements of a JSON array whose items are records of the named type (no union wrapper). */
    private static void jsonEachArray(Obs o, JsonNode arr, String itemType, int depth) throws Bad {
        if (arr == null || !arr.isArray()) throw new Bad("expected array");
        for (JsonNode e : arr) jsonNode(o, new Branch(itemType, e), depth + 1);
    }

    private static void jsonNode(Obs o, Branch b, int depth) throws Bad {
        if (depth > MAX_DEPTH) throw new Bad("resources nested too deep");
        JsonNode v = b.value;
        if (v == null || !v.isObject()) throw new Bad("expected record object");
        switch (b.name) {
            case "AvroResource":
                jsonResource(o, v);
                return;
            case "AvroMultipleResource": {
                JsonNode m = v.get("resources");
                if (m == null || !m.isObject()) throw new Bad("expected map object");
                Iterator<JsonNode> it = m.elements();
                while (it.hasNext()) jsonNode(o, new Branch("AvroResource", it.next()), depth + 1);
                return;
            }
            case "AvroInstanceResource": {
                jsonEachArray(o, v.get("resources"), "AvroResource", depth);
                Branch mr = branch(v.get("multipleResources"));
                if (mr != null) jsonEachArray(o, mr.value, "AvroMultipleResource", depth);
                return;
            }
            case "AvroObjectResource":
                jsonEachArray(o, v.get("instances"), "AvroInstanceResource", depth);
                return;
            default:
                throw new Bad("unexpected record " + b.name + " among resources");
        }
    }

    private static void jsonResource(Obs o, JsonNode r) throws Bad {
        String path = jstr(r, "path", true);
        jstr(r, "type", true);
        Branch v = branch(r.get("value"));
        if (v == null) throw new Bad("an AvroResource without value");
        switch (v.name) {
            case "double":
                if (!v.value.isNumber()) throw new Bad("expected double");
                o.add(path, v.value.doubleValue(), true);
                return;
            case "long":
                if (!v.value.isIntegralNumber()) throw new Bad("expected long");
                o.add(path, (double) v.value.longValue(), true);
                return;
            case "string":
                if (!v.value.isTextual()) throw new Bad("expected string");
                o.add(path, 0, false);
                return;
            case "boolean":
                if (!v.value.isBoolean()) throw new Bad("expected boolean");
                o.add(path, 0, false);
                return;
            default:
                throw new Bad("unknown union branch " + v.name);
        }
    }
}
