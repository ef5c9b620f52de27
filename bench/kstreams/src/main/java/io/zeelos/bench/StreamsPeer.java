// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Kafka Streams peer of {@code zeelos analytics} (docs/ANALYTICS.md): the same jobs written
 * with the Kafka Streams 4.4 DSL.
 *
 * <pre>
 * source(Consumed: ObsDeserializer, event-time extractor)
 *   → count records → flatMapValues(values) → filter(numeric, path pattern, group key)
 *   → selectKey(group key) → repartition → groupByKey → windowedBy(TimeWindows ofSizeAndGrace
 *   [advanceBy]) → emitStrategy(onWindowClose) → aggregate → toStream → JSON → to(output)
 * </pre>
 *
 * Outputs are JSON strings (key {"group":…,"windowStart":…}), independent of zeelos's encoders.
 * With {@code --expect N}: once N input records and every value they produced have been
 * processed and committed, prints one JSON line of counters, CPU and memory, and exits 0.
 */
public final class StreamsPeer {

    // ------------------------------------------------------------------ counters

    static final class JobStats {
        final String name;
        final AtomicLong produced = new AtomicLong(); // values sent to the repartition topic
        final AtomicLong consumed = new AtomicLong(); // values that reached the window aggregation
        final AtomicLong outputs = new AtomicLong();

        JobStats(String name) {
            this.name = name;
        }
    }

    static final AtomicLong records = new AtomicLong();
    static final AtomicLong values = new AtomicLong();
    static final AtomicLong undecodable = new AtomicLong();
    static volatile long firstRecordWallMs, lastRecordWallMs, lastValueWallMs, cpuNsAtFirst;
    static final Map<TopicPartition, Long> inputOffsets = new ConcurrentHashMap<>();
    static final Map<TopicPartition, Long> repartitionOffsets = new ConcurrentHashMap<>();

    static long cpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    // ------------------------------------------------------------------ processors

    /** First node: counts input records, notes the input partition, drops undecodable ones. */
    static final class RecordCounter implements FixedKeyProcessor<byte[], Obs, Obs> {
        private FixedKeyProcessorContext<byte[], Obs> ctx;

        @Override
        public void init(FixedKeyProcessorContext<byte[], Obs> context) {
            ctx = context;
        }

        @Override
        public void process(FixedKeyRecord<byte[], Obs> r) {
            if (firstRecordWallMs == 0) {
                cpuNsAtFirst = cpuNs();
                firstRecordWallMs = System.currentTimeMillis();
            }
            Obs o = r.value();
            RecordMetadata md = ctx.recordMetadata().orElse(null);
            if (o != null && o.ok) {
                o.partition = md == null ? 0 : md.partition();
                values.addAndGet(o.numericCount());
                ctx.forward(r);
            } else {
                undecodable.incrementAndGet();
            }
            if (md != null) inputOffsets.merge(new TopicPartition(md.topic(), md.partition()), md.offset(), Math::max);
            lastRecordWallMs = System.currentTimeMillis();
            records.incrementAndGet(); // last: everything this record produced upstream of the repartition is done
        }
    }

    /** After the repartition topic: counts the values that reach the aggregation. */
    static final class ValueCounter implements FixedKeyProcessor<String, Val, Val> {
        private final JobStats js;
        private FixedKeyProcessorContext<String, Val> ctx;

        ValueCounter(JobStats js) {
            this.js = js;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Val> context) {
            ctx = context;
        }

        @Override
        public void process(FixedKeyRecord<String, Val> r) {
            ctx.forward(r); // aggregates (and emits closed windows) before returning
            ctx.recordMetadata().ifPresent(md ->
                    repartitionOffsets.merge(new TopicPartition(md.topic(), md.partition()), md.offset(), Math::max));
            lastValueWallMs = System.currentTimeMillis();
            js.consumed.incrementAndGet();
        }
    }

    /** Sends a value to the repartition partition of the input partition it came from. */
    static final class SamePartition implements StreamPartitioner<String, Val> {
        @Override
        @SuppressWarnings("removal")
        public Optional<Set<Integer>> partitions(String topic, String key, Val v, int numPartitions) {
            return Optional.of(Collections.singleton(v.partition % numPartitions));
        }
    }

    // ------------------------------------------------------------------ JSON text

    static void jstr(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04X", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }

    static void jnum(StringBuilder b, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) b.append("null");
        else b.append(d);
    }

    static String keyJson(Windowed<String> wk) {
        StringBuilder b = new StringBuilder(64).append("{\"group\":");
        jstr(b, wk.key());
        return b.append(",\"windowStart\":").append(wk.window().start()).append('}').toString();
    }

    static String aggregateJson(Job j, Windowed<String> wk, Agg a) {
        StringBuilder b = new StringBuilder(256).append("{\"job\":");
        jstr(b, j.name);
        b.append(",\"group\":");
        jstr(b, wk.key());
        b.append(",\"windowStart\":").append(wk.window().start());
        b.append(",\"windowEnd\":").append(wk.window().end());
        b.append(",\"count\":").append(a.count);
        b.append(",\"min\":"); jnum(b, a.min);
        b.append(",\"max\":"); jnum(b, a.max);
        b.append(",\"sum\":"); jnum(b, a.sum);
        b.append(",\"mean\":"); jnum(b, a.sum / a.count);
        b.append(",\"last\":"); jnum(b, a.last);
        b.append(",\"lastTimestamp\":").append(a.lastTs);
        return b.append(",\"final\":true}").toString();
    }

    static String maxRecordJson(Windowed<String> wk, Agg a) {
        StringBuilder b = new StringBuilder(256).append("{\"group\":");
        jstr(b, wk.key());
        b.append(",\"windowStart\":").append(wk.window().start());
        b.append(",\"windowEnd\":").append(wk.window().end());
        b.append(",\"ticket\":"); jstr(b, a.ticket);
        b.append(",\"observationId\":"); jstr(b, a.observationId);
        b.append(",\"serverId\":"); jstr(b, a.serverId);
        b.append(",\"ep\":"); jstr(b, a.ep);
        b.append(",\"path\":"); jstr(b, a.path + "-max");
        b.append(",\"timestamp\":").append(a.maxTs);
        b.append(",\"value\":"); jnum(b, a.max);
        return b.append('}').toString();
    }

    // ------------------------------------------------------------------ options

    static final class Opts {
        String bootstrap = "127.0.0.1:9092", registry = "http://127.0.0.1:8081", format = "avro";
        String preset, gw = "edge1", input, filter, groupBy, window, time = "event", output, outputFormat, name;
        String outputPrefix = "", appId, stateDir, repartition = "input", logLevel = "warn";
        Long sizeMs, advanceMs, graceMs, retentionMs, cacheBytes;
        long expect = -1, commitIntervalMs = 100, emitIntervalMs = 0, timeoutS = 0;
        int threads = 1;
    }

    static void usage(String err) {
        if (err != null) System.err.println("kstreams-peer: " + err);
        System.err.println(String.join("\n",
                "usage: StreamsPeer [--preset max-temp-30s|per-minute --gw ID | --name N --size-ms MS ...] [options]",
                "  --bootstrap H:P (127.0.0.1:9092)   --registry URL (http://127.0.0.1:8081)   --format avro|json",
                "  --input T[,T...] (iot.<gw>.observations; ^regex allowed)   --filter /3303/*/5700",
                "  --group-by endpoint|endpoint+path|path|object|gateway   --window tumbling|hopping",
                "  --size-ms MS  --advance-ms MS  --grace-ms MS (5000)  --time event|record",
                "  --output TOPIC (analytics.<gw>.<name>)  --output-prefix P  --output-format aggregate|max-record",
                "  --app-id ID (kstreams-peer-<name>)  --state-dir DIR (a temp dir)  --expect N  --timeout-s S",
                "  --retention-ms MS (window store retention; default size+grace+1 day, 0 = KS default size+grace)",
                "  --repartition input|hash (input: values stay in their input partition's task, as zeelos)",
                "  --commit-interval-ms MS (100)  --emit-interval-ms MS (0)  --cache-bytes B  --log-level L"));
        System.exit(err == null ? 0 : 2);
    }

    static Opts parse(String[] args) {
        Opts o = new Opts();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) usage(null);
            String v;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            } else {
                if (i + 1 >= args.length) usage(a + " needs a value");
                v = args[++i];
            }
            try {
                switch (a) {
                    case "--bootstrap": o.bootstrap = v; break;
                    case "--registry": o.registry = v; break;
                    case "--format": o.format = v; break;
                    case "--preset": o.preset = v; break;
                    case "--gw": o.gw = v; break;
                    case "--input": o.input = v; break;
                    case "--filter": o.filter = v; break;
                    case "--group-by": o.groupBy = v; break;
                    case "--window": o.window = v; break;
                    case "--size-ms": o.sizeMs = Long.parseLong(v); break;
                    case "--advance-ms": o.advanceMs = Long.parseLong(v); break;
                    case "--grace-ms": o.graceMs = Long.parseLong(v); break;
                    case "--time": o.time = v; break;
                    case "--output": o.output = v; break;
                    case "--output-prefix": o.outputPrefix = v; break;
                    case "--output-format": o.outputFormat = v; break;
                    case "--name": o.name = v; break;
                    case "--app-id": o.appId = v; break;
                    case "--state-dir": o.stateDir = v; break;
                    case "--expect": o.expect = Long.parseLong(v); break;
                    case "--timeout-s": o.timeoutS = Long.parseLong(v); break;
                    case "--retention-ms": o.retentionMs = Long.parseLong(v); break;
                    case "--repartition": o.repartition = v; break;
                    case "--commit-interval-ms": o.commitIntervalMs = Long.parseLong(v); break;
                    case "--emit-interval-ms": o.emitIntervalMs = Long.parseLong(v); break;
                    case "--cache-bytes": o.cacheBytes = Long.parseLong(v); break;
                    case "--log-level": o.logLevel = v; break;
                    case "--threads": o.threads = Integer.parseInt(v); break;
                    default: usage("unknown flag " + a);
                }
            } catch (NumberFormatException e) {
                usage(a + ": not a number: " + v);
            }
        }
        if (!o.format.equals("avro") && !o.format.equals("json")) usage("--format is avro or json");
        if (!o.time.equals("event") && !o.time.equals("record")) usage("--time is event or record");
        if (!o.repartition.equals("input") && !o.repartition.equals("hash")) usage("--repartition is input or hash");
        return o;
    }

    static List<Job> jobs(Opts o) {
        List<Job> jobs;
        if (o.preset != null) {
            jobs = Job.preset(o.preset, o.gw);
            if (o.output != null) {
                if (jobs.size() != 1) throw new IllegalArgumentException("--output with a preset of several jobs: use --output-prefix");
                jobs.get(0).output = o.output;
            }
        } else {
            if (o.name == null || !o.name.matches("[A-Za-z0-9._-]+"))
                throw new IllegalArgumentException("--name [A-Za-z0-9._-]+ is required without --preset");
            if (o.sizeMs == null || o.sizeMs <= 0) throw new IllegalArgumentException("--size-ms > 0 is required");
            Job j = new Job();
            j.name = o.name;
            j.setFilter(o.filter == null ? "" : o.filter);
            if (o.groupBy != null) j.setGroupBy(o.groupBy);
            String w = o.window == null ? "tumbling" : o.window;
            if (!w.equals("tumbling") && !w.equals("hopping")) throw new IllegalArgumentException("--window is tumbling or hopping");
            j.hopping = w.equals("hopping");
            j.sizeMs = o.sizeMs;
            j.advanceMs = j.hopping && o.advanceMs != null ? o.advanceMs : o.sizeMs;
            if (j.advanceMs <= 0 || j.advanceMs > j.sizeMs) throw new IllegalArgumentException("0 < advance <= size");
            if (o.graceMs != null) j.graceMs = o.graceMs;
            if (j.graceMs < 0) throw new IllegalArgumentException("--grace-ms >= 0");
            String of = o.outputFormat == null ? "aggregate" : o.outputFormat;
            if (!of.equals("aggregate") && !of.equals("max-record"))
                throw new IllegalArgumentException("--output-format is aggregate or max-record");
            j.maxRecord = of.equals("max-record");
            j.output = o.output != null ? o.output : "analytics." + o.gw + "." + o.name;
            jobs = List.of(j);
        }
        for (Job j : jobs) j.output = o.outputPrefix + j.output;
        return jobs;
    }

    // ------------------------------------------------------------------ topology

    static Topology topology(Opts o, List<Job> jobs, List<String> topics, Pattern pattern, List<JobStats> stats) {
        StreamsBuilder b = new StreamsBuilder();
        TimestampExtractor ts = o.time.equals("record")
                ? (rec, partitionTime) -> rec.timestamp()
                : (rec, partitionTime) -> rec.value() instanceof Obs && ((Obs) rec.value()).ok
                        ? ((Obs) rec.value()).timestamp : rec.timestamp();
        Consumed<byte[], Obs> consumed = Consumed.with(Serdes.ByteArray(),
                Serdes.serdeFrom((t, x) -> null, new ObsDeserializer(o.format.equals("json"), o.registry)))
                .withTimestampExtractor(ts).withName("observations");
        KStream<byte[], Obs> src = pattern != null ? b.stream(pattern, consumed) : b.stream(topics, consumed);
        KStream<byte[], Obs> obs = src.processValues(RecordCounter::new, Named.as("count-records"));

        for (Job j : jobs) {
            JobStats js = new JobStats(j.name);
            stats.add(js);
            Serde<Val> valSerde = Val.serde(j.maxRecord);
            Serde<Agg> aggSerde = Agg.serde(j.maxRecord);
            TimeWindows windows = TimeWindows.ofSizeAndGrace(Duration.ofMillis(j.sizeMs), Duration.ofMillis(j.graceMs));
            if (j.advanceMs != j.sizeMs) windows = windows.advanceBy(Duration.ofMillis(j.advanceMs));
            long retention = o.retentionMs == null ? j.sizeMs + j.graceMs + 86_400_000L
                    : o.retentionMs == 0 ? j.sizeMs + j.graceMs : o.retentionMs;

            Repartitioned<String, Val> rep = Repartitioned.<String, Val>as(j.name + "-values")
                    .withKeySerde(Serdes.String()).withValueSerde(valSerde);
            if (o.repartition.equals("input")) rep = rep.withStreamPartitioner(new SamePartition());

            obs.flatMapValues(x -> {
                        List<Val> out = new ArrayList<>(x.n);
                        for (int i = 0; i < x.n; i++) {
                            if (!x.numeric[i]) continue;
                            Val v = new Val();
                            v.partition = x.partition;
                            v.ts = -1; // the record's timestamp; set below from the context
                            v.v = x.values[i];
                            v.path = x.paths[i];
                            v.ticket = x.ticket;
                            v.observationId = x.observationId;
                            v.serverId = x.serverId;
                            v.ep = x.ep;
                            out.add(v);
                        }
                        return out;
                    }, Named.as(j.name + "-values"))
                    .filter((k, v) -> j.matches(v.path) && j.groupKey(v.ep, v.serverId, v.path) != null,
                            Named.as(j.name + "-filter"))
                    .selectKey((k, v) -> j.groupKey(v.ep, v.serverId, v.path), Named.as(j.name + "-group-key"))
                    .processValues(() -> new FixedKeyProcessor<String, Val, Val>() {
                        private FixedKeyProcessorContext<String, Val> ctx;

                        @Override
                        public void init(FixedKeyProcessorContext<String, Val> c) {
                            ctx = c;
                        }

                        @Override
                        public void process(FixedKeyRecord<String, Val> r) {
                            r.value().ts = r.timestamp(); // event (or record) time of the observation
                            js.produced.incrementAndGet();
                            ctx.forward(r);
                        }
                    }, Named.as(j.name + "-timestamp"))
                    .repartition(rep)
                    .processValues(() -> new ValueCounter(js), Named.as(j.name + "-count-values"))
                    .groupByKey(Grouped.with(j.name + "-grouped", Serdes.String(), valSerde))
                    .windowedBy(windows)
                    .emitStrategy(EmitStrategy.onWindowClose())
                    .aggregate(Agg::new, (k, v, a) -> a.add(v, j.maxRecord), Named.as(j.name + "-aggregate"),
                            Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as(j.name + "-windows")
                                    .withKeySerde(Serdes.String()).withValueSerde(aggSerde)
                                    .withRetention(Duration.ofMillis(retention)))
                    .toStream(Named.as(j.name + "-final"))
                    .map((wk, a) -> {
                        js.outputs.incrementAndGet();
                        return KeyValue.pair(keyJson(wk), j.maxRecord ? maxRecordJson(wk, a) : aggregateJson(j, wk, a));
                    }, Named.as(j.name + "-json"))
                    .to(j.output, Produced.<String, String>with(Serdes.String(), Serdes.String()).withName(j.name + "-output"));
        }
        return b.build();
    }

    // ------------------------------------------------------------------ main

    static long procStatusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    static double metricSum(KafkaStreams s, String name) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : s.metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getKey().group().equals("stream-task-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number) sum += ((Number) v).doubleValue();
            }
        }
        return sum;
    }

    static String statsJson(KafkaStreams s, List<JobStats> stats, long cpuEnd) {
        long outputs = 0;
        StringBuilder jobs = new StringBuilder("[");
        for (JobStats js : stats) {
            outputs += js.outputs.get();
            if (jobs.length() > 1) jobs.append(',');
            jobs.append("{\"name\":");
            jstr(jobs, js.name);
            jobs.append(",\"values\":").append(js.consumed.get()).append(",\"outputs\":").append(js.outputs.get()).append('}');
        }
        jobs.append(']');
        Runtime rt = Runtime.getRuntime();
        return "{\"records\":" + records.get() + ",\"values\":" + values.get() + ",\"outputs\":" + outputs
                + ",\"undecodable\":" + undecodable.get()
                + ",\"dropped\":" + (long) metricSum(s, "dropped-records-total")
                + ",\"first_record_wall_ms\":" + firstRecordWallMs
                + ",\"last_record_wall_ms\":" + Math.max(lastRecordWallMs, lastValueWallMs)
                + ",\"committed_wall_ms\":" + System.currentTimeMillis()
                + ",\"cpu_ns\":" + cpuEnd + ",\"cpu_ns_at_first\":" + cpuNsAtFirst
                + ",\"vm_hwm_kb\":" + procStatusKb("VmHWM") + ",\"vm_rss_kb\":" + procStatusKb("VmRSS")
                + ",\"heap_used\":" + (rt.totalMemory() - rt.freeMemory())
                + ",\"jobs\":" + jobs + "}";
    }

    static void deleteTree(Path p) {
        try (Stream<Path> w = Files.walk(p)) {
            w.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    public static void main(String[] args) throws Exception {
        Opts o = parse(args);
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", o.logLevel);
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        // one WARN per late value and window ("Skipping record for expired window") would cost the benchmark
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.streams.kstream.internals", "error");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.streams.processor.internals.RecordCollectorImpl", "error");

        List<Job> jobs;
        try {
            jobs = jobs(o);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        String appId = o.appId != null ? o.appId
                : "kstreams-peer-" + (o.preset != null ? o.preset : jobs.get(0).name);
        boolean tempState = o.stateDir == null;
        Path stateDir = tempState ? Files.createTempDirectory("kstreams-peer-") : Path.of(o.stateDir);

        // inputs: names, or one pattern for all when any is a regular expression (^...)
        List<String> topics = new ArrayList<>();
        List<String> alts = new ArrayList<>();
        boolean regex = false;
        for (String t : (o.input != null ? o.input : "iot." + o.gw + ".observations").split(",")) {
            t = t.trim();
            if (t.isEmpty()) continue;
            topics.add(t);
            if (t.startsWith("^")) {
                regex = true;
                alts.add("(?:" + t + ").*");
            } else {
                alts.add(Pattern.quote(t));
            }
        }
        Pattern pattern = regex ? Pattern.compile(String.join("|", alts)) : null;

        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        int partitions = 1;
        try (Admin admin = Admin.create(ap)) {
            if (!regex) {
                long deadline = System.currentTimeMillis() + 600_000;
                for (boolean said = false;;) {
                    try {
                        Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get();
                        partitions = d.values().stream().mapToInt(x -> x.partitions().size()).max().orElse(1);
                        break;
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.currentTimeMillis() > deadline)
                            throw e;
                        if (!said) System.err.println("kstreams-peer: waiting for input topics " + topics);
                        said = true;
                        Thread.sleep(500);
                    }
                }
            }
            for (Job j : jobs) {
                try {
                    // no time-based deletion: outputs carry event times, which may be far from the broker's clock
                    admin.createTopics(List.of(new NewTopic(j.output, partitions, (short) 1)
                            .configs(Map.of("retention.ms", "-1")))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e;
                }
            }
        }

        List<JobStats> stats = new ArrayList<>();
        Topology topo = topology(o, jobs, topics, pattern, stats);
        if (o.logLevel.equals("debug") || o.logLevel.equals("info")) System.err.println(topo.describe());

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
        p.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION, o.emitIntervalMs);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        if (o.cacheBytes != null) p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, o.cacheBytes);

        KafkaStreams streams = new KafkaStreams(topo, p);
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("kstreams-peer: stream thread failed: " + e);
            e.printStackTrace();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Thread hook = new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            System.err.println("kstreams-peer: stopped: " + statsJson(streams, stats, cpuNs()));
            if (tempState) deleteTree(stateDir);
        });
        Runtime.getRuntime().addShutdownHook(hook);
        streams.start();

        if (o.expect < 0) {
            Thread.currentThread().join(); // until SIGTERM (the hook closes)
            return;
        }

        long deadline = o.timeoutS > 0 ? System.currentTimeMillis() + o.timeoutS * 1000 : Long.MAX_VALUE;
        try (Admin admin = Admin.create(ap)) {
            long nextCheck = 0;
            for (;;) {
                KafkaStreams.State st = streams.state();
                if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.PENDING_ERROR
                        || st == KafkaStreams.State.NOT_RUNNING) {
                    System.err.println("kstreams-peer: Kafka Streams is " + st);
                    System.exit(1);
                }
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("kstreams-peer: timeout: " + statsJson(streams, stats, cpuNs()));
                    System.exit(3);
                }
                boolean processed = records.get() >= o.expect;
                for (JobStats js : stats) processed &= js.consumed.get() == js.produced.get();
                if (processed && System.currentTimeMillis() >= nextCheck) {
                    nextCheck = System.currentTimeMillis() + 20;
                    Map<TopicPartition, Long> need = new HashMap<>();
                    inputOffsets.forEach((tp, off) -> need.put(tp, off + 1));
                    repartitionOffsets.forEach((tp, off) -> need.put(tp, off + 1));
                    Map<TopicPartition, OffsetAndMetadata> committed =
                            admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
                    boolean all = true;
                    for (Map.Entry<TopicPartition, Long> e : need.entrySet()) {
                        OffsetAndMetadata c = committed.get(e.getKey());
                        all &= c != null && c.offset() >= e.getValue();
                    }
                    if (all) break;
                }
                Thread.sleep(5);
            }
        }
        long cpuEnd = cpuNs();
        System.out.println(statsJson(streams, stats, cpuEnd));
        System.out.flush();
        Runtime.getRuntime().removeShutdownHook(hook);
        streams.close(Duration.ofSeconds(30));
        if (tempState) deleteTree(stateDir);
        System.exit(0);
    }
}
