package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.testmodel.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restores into a unified KV cache that several slots have fragmented: four slots share 512 cells and
 * hold conversations of about 150 tokens each, so a conversation coming back from RAM often finds
 * fewer free cells than its state needs. The scheduler must make that room (emptying idle slots) or
 * skip the restore before asking llama.cpp, never have a restore refused, and never log an error. The
 * concurrent case is the one that used to be refused (running generations hold the cells: the soak's
 * "failed to find N available cells" pairs); the sequential one checks that every later turn still
 * reuses its whole history.
 */
class KvRestoreFitTest {

    private static final int CONTEXT = 512;
    /** The first turn's prompt length: four conversations (with their answers) overflow the context, three fit. */
    private static final int FIRST_TURN_TOKENS = 135;
    private static final int[] NEW_TURN = {151645, 198, 151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198};

    /** Held here so that its level stays set (JUL keeps loggers weakly). */
    private static final Logger LLAMA = Logger.getLogger("llama.cpp");
    private static final Logger ROOT = Logger.getLogger("");
    private final List<LogRecord> llamaLines = new CopyOnWriteArrayList<>();
    private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    private final Handler llamaHandler = collector(llamaLines, Level.ALL);
    private final Handler warningHandler = collector(warnings, Level.WARNING);
    private Level llamaLevel;

    private static Handler collector(List<LogRecord> into, Level level) {
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    into.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        h.setLevel(level);
        return h;
    }

    @BeforeEach
    void captureLogs() {
        llamaLevel = LLAMA.getLevel();
        LLAMA.setLevel(Level.ALL); // llama.cpp's refusals show at any level they are logged at
        LLAMA.addHandler(llamaHandler);
        ROOT.addHandler(warningHandler);
    }

    @AfterEach
    void releaseLogs() {
        LLAMA.removeHandler(llamaHandler);
        LLAMA.setLevel(llamaLevel);
        ROOT.removeHandler(warningHandler);
    }

    /** Counts what the scheduler reports about restores. */
    private static final class RestoreCounts implements EngineObserver {
        final AtomicInteger restored = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        @Override
        public void kvRestored(CacheSource source, int tokens, long bytes, long nanos) {
            restored.incrementAndGet();
        }

        @Override
        public void kvRestoreSkipped(RestoreSkip reason, int tokens) {
            skipped.incrementAndGet();
        }

        @Override
        public void kvRestoreFailed(CacheSource source) {
            failed.incrementAndGet();
        }
    }

    /** A first turn of {@link #FIRST_TURN_TOKENS} tokens about {@code topic}. */
    private static int[] firstTurn(Engine engine, String topic) {
        StringBuilder b = new StringBuilder("<|im_start|>user\n");
        int[] tokens;
        int i = 0;
        do {
            b.append("Sentence ").append(i++).append(" of the conversation about ").append(topic).append(". ");
            tokens = engine.tokenize(new Prompt.Raw(b + "<|im_end|>\n<|im_start|>assistant\n"));
        } while (tokens.length < FIRST_TURN_TOKENS);
        return Arrays.copyOf(tokens, FIRST_TURN_TOKENS); // cut inside the text: the model does not mind
    }

    private static int[] nextTurn(int[] before) {
        int[] out = Arrays.copyOf(before, before.length + NEW_TURN.length);
        System.arraycopy(NEW_TURN, 0, out, before.length, NEW_TURN.length);
        return out;
    }

    private static GenerationRequest greedy(String id, int[] tokens) {
        return GenerationRequest.greedy(id, new Prompt.Tokens(tokens), 12);
    }

    private static Engine start(RestoreCounts counts) {
        EngineConfig config = EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2).withSlots(4, CONTEXT)
                .withKvTiers(KvSettings.ram(256L << 20));
        Engine engine = Engine.start(config, counts);
        assertEquals(CONTEXT, engine.slotCapacity(), "a unified cache of 512 cells (llama.cpp pads to multiples of 256)");
        return engine;
    }

    private void assertNoRefusalNorError(RestoreCounts counts) {
        List<String> refusals = llamaLines.stream().map(LogRecord::getMessage)
                .filter(m -> m.contains("available cells") || m.contains("failed to restore") || m.contains("error loading state")).toList();
        assertEquals(List.of(), refusals, "llama.cpp was never asked for a restore it could not do");
        assertEquals(List.of(), warnings.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(r -> r.getLoggerName() + ": " + r.getMessage()).toList(), "nothing logged as an error");
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).filter(m -> m.contains("restore")).toList());
        assertEquals(0, counts.failed.get(), "no restore failed");
    }

    @Test
    void conversationsCyclingThroughFewerCellsThanTheyNeedRestoreWithoutARefusal() throws Exception {
        RestoreCounts counts = new RestoreCounts();
        try (Engine engine = start(counts)) {
            int conversations = 6;
            int[][] prompts = new int[conversations][];
            for (int c = 0; c < conversations; c++) {
                prompts[c] = firstTurn(engine, "topic " + c);
            }
            for (int turn = 1; turn <= 3; turn++) {
                for (int c = 0; c < conversations; c++) {
                    int[] prompt = turn == 1 ? prompts[c] : nextTurn(prompts[c]);
                    List<GenerationEvent> events = engine.submit(greedy("c" + c + "t" + turn, prompt)).drain(60_000);
                    if (turn > 1) {
                        assertEquals(prompts[c].length, started(events).cachedTokens(), "turn " + turn + " of conversation " + c
                                + " reuses its whole history, from its slot or restored from RAM");
                    }
                    assertTrue(done(events).usage().generatedTokens() > 0);
                    prompts[c] = prompt;
                }
            }
            assertTrue(counts.restored.get() >= 2 * conversations - 4, "most later turns came back from RAM: " + counts.restored.get());
            assertEquals(0, counts.skipped.get(), "one at a time, emptying idle slots always makes room");
            assertNoRefusalNorError(counts);
        }
    }

    @Test
    void concurrentConversationsSkipARestoreThatRunningGenerationsLeaveNoRoomFor() throws Exception {
        RestoreCounts counts = new RestoreCounts();
        try (Engine engine = start(counts)) {
            int conversations = 8;
            int[][] prompts = new int[conversations][];
            for (int c = 0; c < conversations; c++) {
                prompts[c] = firstTurn(engine, "subject " + c);
            }
            for (int turn = 1; turn <= 3; turn++) {
                List<TokenStream> streams = new ArrayList<>();
                int[][] next = new int[conversations][];
                for (int c = 0; c < conversations; c++) {
                    next[c] = turn == 1 ? prompts[c] : nextTurn(prompts[c]);
                    streams.add(engine.submit(greedy("c" + c + "t" + turn, next[c])));
                }
                for (int c = 0; c < conversations; c++) {
                    List<GenerationEvent> events = streams.get(c).drain(120_000);
                    assertTrue(done(events).usage().generatedTokens() > 0, "conversation " + c + " turn " + turn + ": " + events.getLast());
                    prompts[c] = next[c];
                }
            }
            assertTrue(counts.restored.get() + counts.skipped.get() > 0, "later turns found their saved states");
            assertNoRefusalNorError(counts);
        }
    }
}
