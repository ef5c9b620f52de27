// SPDX-License-Identifier: Apache-2.0
// MirrorMaker 2's own view of its flows, for scripts/mirror.sh (`up` waits on it, `status` prints
// it): the state Kafka Connect records for MirrorSourceConnector and its tasks in each flow's
// status topic (mm2-status.<source>.internal on the target cluster, the same records Connect's
// REST API reports, which a dedicated MirrorMaker does not serve).
//
//   java -cp '<mirror libs>/*:<classes>' MirrorStatus [--wait SECONDS] [--since EPOCH_MS] [--pid PID] mm2.properties
//
// Prints one line per flow and connector/task: `<source>-><target> <connector|task> <name> <STATE>`,
// and `<source>-><target> source-topics <n>` (topics of the source cluster the flow's `topics`
// pattern selects). A flow is running when its MirrorSourceConnector is RUNNING and, if the
// pattern selects any topic (otherwise the connector has no task), task MirrorSourceConnector-0
// is RUNNING too. Only status records written at or after --since count (a MirrorMaker killed
// without its clean shutdown leaves RUNNING records behind). Exit 0 when every enabled flow runs,
// 1 when not (after --wait seconds), 3 when --pid is given and that process is gone.
import java.io.FileInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class MirrorStatus {
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");
    // MirrorMaker's default topics.exclude: its own and Kafka's internal topics
    private static final Pattern EXCLUDED = Pattern.compile(".*[\\-.]internal|.*\\.replica|__.*");

    private static final class Flow {
        final String source, target, topics, sourceBootstrap, targetBootstrap;
        final Map<String, String> states = new TreeMap<>();  // status key -> state
        KafkaConsumer<String, String> consumer;
        List<TopicPartition> parts = List.of();
        int sourceTopics = -1;

        Flow(String source, String target, Properties p) {
            this.source = source;
            this.target = target;
            this.topics = p.getProperty(source + "->" + target + ".topics", p.getProperty("topics", ".*")).trim();
            this.sourceBootstrap = p.getProperty(source + ".bootstrap.servers");
            this.targetBootstrap = p.getProperty(target + ".bootstrap.servers");
        }

        String name() { return source + "->" + target; }
        String statusTopic() { return "mm2-status." + source + ".internal"; }

        boolean running() {
            if (!"RUNNING".equals(states.get("status-connector-MirrorSourceConnector"))) return false;
            return sourceTopics == 0 || "RUNNING".equals(states.get("status-task-MirrorSourceConnector-0"));
        }
    }

    public static void main(String[] args) throws Exception {
        double waitSeconds = 0;
        long since = 0;
        long pid = -1;
        String file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--wait": waitSeconds = Double.parseDouble(args[++i]); break;
                case "--since": since = Long.parseLong(args[++i]); break;
                case "--pid": pid = Long.parseLong(args[++i]); break;
                default: file = args[i];
            }
        }
        if (file == null) {
            System.err.println("usage: MirrorStatus [--wait S] [--since MS] [--pid PID] mm2.properties");
            System.exit(2);
        }
        Properties p = new Properties();
        try (InputStream in = new FileInputStream(file)) {
            p.load(in);
        }
        List<Flow> flows = new ArrayList<>();
        String[] clusters = p.getProperty("clusters", "").split("\\s*,\\s*");
        for (String s : clusters) {
            for (String t : clusters) {
                if (!s.equals(t) && Boolean.parseBoolean(p.getProperty(s + "->" + t + ".enabled", "false").trim())) {
                    flows.add(new Flow(s.trim(), t.trim(), p));
                }
            }
        }
        long deadline = System.nanoTime() + (long) (waitSeconds * 1e9);
        boolean ok = false;
        try {
            while (true) {
                for (Flow f : flows) refresh(f, since);
                ok = flows.stream().allMatch(Flow::running);
                if (ok || System.nanoTime() >= deadline) break;
                if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    print(flows);
                    System.err.println("MirrorStatus: process " + pid + " is gone");
                    System.exit(3);
                }
                Thread.sleep(500);
            }
        } finally {
            for (Flow f : flows) if (f.consumer != null) f.consumer.close();
        }
        print(flows);
        System.exit(ok ? 0 : 1);
    }

    private static void print(List<Flow> flows) {
        for (Flow f : flows) {
            System.out.println(f.name() + " source-topics " + f.sourceTopics);
            for (Map.Entry<String, String> e : f.states.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("status-connector-")) {
                    System.out.println(f.name() + " connector " + k.substring(17) + " " + e.getValue());
                } else if (k.startsWith("status-task-")) {
                    System.out.println(f.name() + " task " + k.substring(12) + " " + e.getValue());
                }
            }
            System.out.println(f.name() + " flow " + (f.running() ? "RUNNING" : "NOT_RUNNING"));
        }
    }

    private static Properties clientProps(String bootstrap) {
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("request.timeout.ms", "5000");
        c.put("default.api.timeout.ms", "5000");
        c.put("client.id", "zeelos-mirror-status");
        return c;
    }

    // Reads what is new in the flow's status topic and counts the source topics the flow selects.
    private static void refresh(Flow f, long since) {
        try {
            if (f.sourceTopics <= 0) {
                try (Admin a = Admin.create(clientProps(f.sourceBootstrap))) {
                    Pattern sel = Pattern.compile(f.topics.replace(",", "|"));
                    Set<String> names = a.listTopics().names().get();
                    f.sourceTopics = (int) names.stream()
                        .filter(n -> sel.matcher(n).matches() && !EXCLUDED.matcher(n).matches()).count();
                }
            }
            if (f.consumer == null) {
                Properties c = clientProps(f.targetBootstrap);
                c.put("key.deserializer", StringDeserializer.class.getName());
                c.put("value.deserializer", StringDeserializer.class.getName());
                c.put("enable.auto.commit", "false");
                c.put("auto.offset.reset", "earliest");
                // never create the status topic: Connect insists on creating it compacted itself
                c.put("allow.auto.create.topics", "false");
                f.consumer = new KafkaConsumer<>(c);
            }
            if (f.parts.isEmpty()) {  // the topic appears once MirrorMaker's herder has started
                List<PartitionInfo> infos = f.consumer.partitionsFor(f.statusTopic(), Duration.ofSeconds(3));
                if (infos == null || infos.isEmpty()) return;
                List<TopicPartition> tps = new ArrayList<>();
                for (PartitionInfo i : infos) tps.add(new TopicPartition(i.topic(), i.partition()));
                f.consumer.assign(tps);
                f.consumer.seekToBeginning(tps);
                f.parts = tps;
            }
            Map<TopicPartition, Long> end = f.consumer.endOffsets(f.parts, Duration.ofSeconds(3));
            long until = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < until) {  // to the end offsets read above
                boolean behind = false;
                for (TopicPartition tp : f.parts) {
                    if (f.consumer.position(tp, Duration.ofSeconds(3)) < end.getOrDefault(tp, 0L)) behind = true;
                }
                if (!behind) break;
                for (ConsumerRecord<String, String> r : f.consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() == null || r.timestamp() < since) continue;
                    if (r.value() == null) {
                        f.states.remove(r.key());
                        continue;
                    }
                    Matcher m = STATE.matcher(r.value());
                    if (m.find()) f.states.put(r.key(), m.group(1));
                }
            }
        } catch (Exception e) {  // a cluster not answering (yet): try again on the next round
            System.err.println("MirrorStatus: " + f.name() + ": " + e);
        }
    }
}
