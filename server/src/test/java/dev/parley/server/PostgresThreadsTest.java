package dev.parley.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** Threads in a real PostgreSQL server, started for the test. */
class PostgresThreadsTest extends ThreadsContract {

    private static PostgresServer postgres;
    private static TestServer server;
    private static String restartUrl;

    @BeforeAll
    static void start() throws Exception {
        String reason = PostgresServer.unavailableReason();
        if (reason != null) {
            // Visible in the test report and on stderr: these tests did not run here.
            System.err.println("SKIPPING PostgreSQL thread tests: " + reason);
            Assumptions.abort("PostgreSQL unavailable: " + reason);
        }
        postgres = PostgresServer.start();
        server = new TestServer("--slots", "2", "--ctx-size", "4096", "--database-url", postgres.newDatabase("threads_main"));
        restartUrl = postgres.newDatabase("threads_restart");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    TestServer server() {
        return server;
    }

    @Override
    TestServer restartable(boolean first) {
        return new TestServer("--slots", "1", "--database-url", restartUrl);
    }
}
