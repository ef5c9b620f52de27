// SPDX-License-Identifier: Apache-2.0
// Prints MirrorMaker 2's per-partition replication metrics (MBeans
// kafka.connect.mirror:type=MirrorSourceConnector,target=..,topic=..,partition=..) from its JMX
// port as `target topic partition attribute value` lines, for scripts and tests
// (scripts/mirror.sh metrics).  No dependencies: the JDK's JMX client.
import java.util.Set;
import java.util.TreeSet;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

public final class MirrorMetrics {
    public static void main(String[] args) throws Exception {
        String hostPort = args.length > 0 ? args[0] : "127.0.0.1:8791";
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + hostPort + "/jmxrmi");
        try (JMXConnector c = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            Set<ObjectName> names = new TreeSet<>(s.queryNames(
                new ObjectName("kafka.connect.mirror:type=MirrorSourceConnector,*"), null));
            for (ObjectName n : names) {
                for (MBeanAttributeInfo a : s.getMBeanInfo(n).getAttributes()) {
                    Object v = s.getAttribute(n, a.getName());
                    System.out.println(n.getKeyProperty("target") + " " + n.getKeyProperty("topic") + " "
                        + n.getKeyProperty("partition") + " " + a.getName() + " " + v);
                }
            }
        }
    }
}
