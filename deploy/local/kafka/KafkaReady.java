// Readiness probe for the local single-node Kafka started by deploy/local/services.sh.
//
// Exits 0 only when the broker
//   1. answers metadata requests (describeCluster lists a node and a controller),
//   2. has a working group coordinator (FindCoordinator + DescribeGroups succeed,
//      which also creates/loads __consumer_offsets), and
//   3. has a working transaction coordinator (a transactional producer can
//      initTransactions, which creates/loads __transaction_state).
// Doing 2 and 3 here means the first consumer group / transactional producer of
// a test run does not pay for creating the internal topics.
//
// Usage: java -cp '<kafka libs>/*:<classes dir>' KafkaReady <bootstrap> <timeoutSeconds>
// Prints nothing on success except one line; on failure prints the last error.
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class KafkaReady {
    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        long timeoutMs = TimeUnit.SECONDS.toMillis(args.length > 1 ? Long.parseLong(args[1]) : 60);
        long deadline = System.currentTimeMillis() + timeoutMs;

        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        a.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        a.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        a.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        a.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "200");   // default 1 s: slows readiness

        Throwable last = null;
        boolean metadataOk = false, groupOk = false, txnOk = false;
        try (Admin admin = Admin.create(a)) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    if (!metadataOk) {
                        DescribeClusterResult dc = admin.describeCluster();
                        Collection<Node> nodes = dc.nodes().get(10, TimeUnit.SECONDS);
                        Node controller = dc.controller().get(10, TimeUnit.SECONDS);
                        if (nodes.isEmpty() || controller == null || controller.isEmpty()) {
                            throw new IllegalStateException("no nodes/controller in metadata yet");
                        }
                        metadataOk = true;
                    }
                    if (!groupOk) {
                        try {
                            admin.describeConsumerGroups(List.of("leadflow-readiness-probe"))
                                    .all().get(15, TimeUnit.SECONDS);
                        } catch (ExecutionException e) {
                            // Kafka 4.x answers DescribeGroups for an unknown group with
                            // GROUP_ID_NOT_FOUND: that answer comes from a loaded coordinator.
                            if (!(e.getCause() instanceof GroupIdNotFoundException)) throw e;
                        }
                        groupOk = true;
                    }
                    if (!txnOk) {
                        Properties p = new Properties();
                        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "leadflow-readiness-probe");
                        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
                        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "50");
                        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "200");
                        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
                        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
                        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
                        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
                            producer.initTransactions();
                        }
                        txnOk = true;
                    }
                    System.out.println("kafka ready: metadata ok, group coordinator ok, transaction coordinator ok");
                    return;
                } catch (Exception e) {
                    last = e.getCause() != null ? e.getCause() : e;
                    Thread.sleep(100);
                }
            }
        }
        System.err.println("kafka NOT ready after " + timeoutMs + " ms (metadata=" + metadataOk
                + ", groupCoordinator=" + groupOk + ", txnCoordinator=" + txnOk + "): " + last);
        System.exit(1);
    }
}
