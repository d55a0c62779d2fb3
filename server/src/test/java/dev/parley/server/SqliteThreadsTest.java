package dev.parley.server;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;

/** Threads in the embedded SQLite store. */
class SqliteThreadsTest extends ThreadsContract {

    @ServerFlags({"--slots", "2", "--ctx-size", "4096"})
    private static TestServer server;
    private static Path restartDir;

    @BeforeAll
    static void start() throws Exception {
        restartDir = Files.createTempDirectory("parley-restart");
    }

    @Override
    TestServer server() {
        return server;
    }

    @Override
    TestServer restartable(boolean first) {
        return new TestServer("--slots", "1", "--data-dir", restartDir.toString());
    }
}
