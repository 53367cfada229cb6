import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local, listening on one address only (local/runtime/dynamodb.ts runs this file with
 * Java's source-file mode). DynamoDBLocal.jar has no host option: its server is a Jetty `Server`
 * built with a port alone, which listens on every interface, and the emulator accepts any
 * credentials, so a peer on the network could write to the table (plant an API key). This builds
 * the server from the usual command line, sets the address on its connectors, then starts it.
 * The address is the system property `stratus.dynamodb.host` (default 127.0.0.1).
 */
public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("stratus.dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(args);
    } catch (Exception e) {
      System.err.println("DynamoDB Local: " + e.getMessage());
      System.exit(2);
      return;
    }
    // The Jetty server is a private field with no accessor; the jar is on the class path, so
    // reflection may open it.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost(host);
        bound++;
      }
    }
    if (bound == 0) {
      System.err.println("DynamoDB Local: no network connector to bind to " + host + "; not started");
      System.exit(3);
    }
    try {
      proxy.start();
    } catch (Exception e) {
      System.err.println("DynamoDB Local: could not start: " + e);
      System.exit(1);
    }
    System.out.println("DynamoDB Local listening on " + host);
  }
}
