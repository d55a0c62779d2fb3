package dev.parley.server.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.testmodel.TestModels;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The harness {@link RequestBodyFuzzTest} fuzzes through must see what a server sees: the committed
 * corpus's {@code ok-*} bodies make turns on their routes and its {@code refuse-*} bodies 4xx answers.
 * (Were the fake request wrong, every body would be refused and the fuzzing would prove nothing.)
 */
class DialectParsersTest {

    private static Engine engine;
    private static DialectParsers parsers;

    @BeforeAll
    static void start() {
        engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(1, 1).withSlots(1, 256));
        parsers = new DialectParsers(engine, new Limits(512, 64, 1 << 20));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @Test
    void everyStatelessPostRouteIsThere() {
        assertEquals(List.of("/api/v1/continue_from_conversation_history", "/api/v1/continue_from_raw_prompt", "/v1/chat/completions",
                "/v1/completions", "/api/ai/chat", "/api/v1/ui-chat", "/api/v1/conversation", "/api/chat", "/api/generate", "/api/show", "/v1/responses",
                "/v1/messages", "/v1/messages/count_tokens"),
                parsers.paths());
    }

    @Test
    void theCorpusMeansWhatItsNamesSay() throws Exception {
        List<Path> corpus = corpus();
        assertFalse(corpus.isEmpty());
        int ok = 0;
        int refused = 0;
        for (Path file : corpus) {
            String name = file.getFileName().toString();
            byte[] input = Files.readAllBytes(file);
            String path = parsers.paths().get(input[0] - '0');
            DialectParsers.Outcome out = parsers.post(path, Arrays.copyOfRange(input, 1, input.length));
            if (name.startsWith("ok-")) {
                assertNotNull(out.call(), name + " on " + path + " answered " + out.status() + " instead of a turn");
                ok++;
            } else if (name.startsWith("refuse-")) {
                assertNull(out.call(), name);
                assertTrue(out.status() >= 400 && out.status() < 500, name + " answered " + out.status());
                refused++;
            }
        }
        assertTrue(ok >= 5 && refused >= 3, "the corpus has both kinds: " + ok + " ok, " + refused + " refused");
    }

    @Test
    void aParsedTurnCarriesTheBody() throws Exception {
        byte[] body = "{\"raw_prompt\":\"Once\",\"max_tokens\":7}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        DialectParsers.Outcome out = parsers.post("/api/v1/continue_from_raw_prompt", body);
        Turn.Given given = assertInstanceOf(Turn.Given.class, out.call().turn().source());
        assertEquals(new Prompt.Raw("Once"), given.prompt());
        assertEquals(7, out.call().turn().options().maxTokens());
    }

    private static List<Path> corpus() throws URISyntaxException, java.io.IOException {
        Path dir = Path.of(DialectParsersTest.class.getResource("RequestBodyFuzzTestInputs/fuzzBody").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
