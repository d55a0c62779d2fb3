package dev.parley.server;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official openai npm client against /v1 (and a check that the Node client harness works). */
class OpenAiNodeClientTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer("--slots", "2", "--ctx-size", "2048");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void chatWholeAndStreamed() {
        NodeClients.run("openai-chat.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(60), List.of());
    }
}
