import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs Neo4j Community embedded, with the settings of a neo4j.conf file (services.sh writes it:
 * Bolt on loopback, auth off, small page cache). The Bolt connector comes with org.neo4j:neo4j, so
 * this is a complete server for drivers, without the neo4j.com distribution.
 *
 * Usage: java -cp 'libs/*:launcher.jar' Neo4jServer HOME_DIR NEO4J_CONF READY_FILE
 *
 * READY_FILE is written once the default database answers a query, and removed on shutdown;
 * services.sh waits for it. SIGTERM shuts the database down cleanly (checkpoint, store closed).
 */
public final class Neo4jServer {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: Neo4jServer HOME_DIR NEO4J_CONF READY_FILE");
      System.exit(2);
    }
    Path home = Path.of(args[0]);
    Path conf = Path.of(args[1]);
    Path ready = Path.of(args[2]);
    Files.deleteIfExists(ready);

    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    Files.deleteIfExists(ready);
                  } catch (Exception ignored) {
                    // the next start deletes it first anyway
                  }
                  dbms.shutdown();
                  stopped.countDown();
                },
                "neo4j-shutdown"));

    GraphDatabaseService db = dbms.database("neo4j");
    db.executeTransactionally("RETURN 1");
    Files.writeString(ready, ProcessHandle.current().pid() + "\n");
    System.out.println("neo4j: ready, home " + home.toAbsolutePath());
    stopped.await();
  }
}
