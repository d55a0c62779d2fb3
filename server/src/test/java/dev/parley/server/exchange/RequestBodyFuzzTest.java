package dev.parley.server.exchange;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.testmodel.TestModels;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes the JSON request bodies of every stateless turn route with Jazzer: whatever the bytes, the
 * route's real handler (body reading, {@code RequestBody}, {@code Messages}, {@code GenerationOptions},
 * the dialect's parser, its error shape) must make a turn or answer a 4xx; any other exception is a
 * finding, saved by Jazzer under {@code src/test/resources/.../RequestBodyFuzzTestInputs/fuzzBody/},
 * the committed corpus. The exchange is replaced by a recorder, so nothing generates.
 *
 * <p>An input's first byte picks the route ({@code '0'} is the first, see {@link DialectParsers#paths});
 * the rest is the body. Without {@code JAZZER_FUZZ} this replays the corpus; the server module's
 * Surefire execution {@code body-fuzz} sets it, so the test command fuzzes for the bounded time below.
 */
class RequestBodyFuzzTest {

    private static final Limits LIMITS = new Limits(512, 64, 1 << 20);
    private static Engine engine;
    private static DialectParsers parsers;
    private static List<String> paths;

    private static synchronized DialectParsers parsers() {
        if (parsers == null) {
            // the dialects read the model's name and metadata only; one small slot is enough
            engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(1, 1).withSlots(1, 256));
            parsers = new DialectParsers(engine, LIMITS);
            paths = parsers.paths();
        }
        return parsers;
    }

    @FuzzTest(maxDuration = "25s")
    void fuzzBody(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        DialectParsers p = parsers();
        String path = paths.get(Math.floorMod(input[0] - '0', paths.size()));
        DialectParsers.Outcome out = p.post(path, Arrays.copyOfRange(input, 1, input.length));
        if (out.call() != null) {
            Turn turn = out.call().turn();
            assertNotNull(turn.source(), path + ": a turn has something to continue");
            assertNotNull(out.call().format(), path + ": a turn has a format to answer in");
            int max = turn.options().maxTokens();
            assertTrue(max >= 1 && max <= LIMITS.maxTokens(), path + ": max_tokens within the server's limit, got " + max);
        } else {
            // a refusal is the client's fault; a 200 without a call is a route that answered itself (Ollama's model load)
            assertTrue(out.status() == 200 || (out.status() >= 400 && out.status() < 500), path + " answered " + out.status());
        }
    }
}
