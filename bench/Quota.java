// SPDX-License-Identifier: Apache-2.0
// Sets or removes a Kafka producer byte-rate quota for one client id (KIP-546 Admin API), so a
// benchmark can make "Kafka cannot keep up" happen on purpose.  Run with the broker's jars:
//   java -cp "$HOME/.cache/zeelos/kafka-4.4.0/libs/*" bench/Quota.java BOOTSTRAP CLIENT_ID BYTES_PER_S|remove
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;

public class Quota {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Quota BOOTSTRAP CLIENT_ID BYTES_PER_S|remove");
            System.exit(2);
        }
        Double rate = args[2].equals("remove") ? null : Double.valueOf(args[2]);
        ClientQuotaEntity who = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, args[1]));
        ClientQuotaAlteration change = new ClientQuotaAlteration(who,
                List.of(new ClientQuotaAlteration.Op("producer_byte_rate", rate)));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]))) {
            admin.alterClientQuotas(List.of(change)).all().get();
        }
        System.out.println("producer_byte_rate for client.id " + args[1] + ": " + (rate == null ? "removed" : args[2]));
    }
}
