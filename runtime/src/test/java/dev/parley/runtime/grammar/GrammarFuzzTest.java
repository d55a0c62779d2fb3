package dev.parley.runtime.grammar;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.grammar.Grammar;
import dev.parley.bindings.grammar.GrammarException;
import dev.parley.bindings.grammar.GrammarVocab;
import dev.parley.runtime.testmodel.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fuzzes the grammar front end with Jazzer against the tiny model's real vocabulary: any grammar text
 * must be either refused with a {@link GrammarException} or accepted; anything else (another
 * exception, a stack overflow, a hang) is a finding, saved by Jazzer under
 * {@code src/test/resources/.../GrammarFuzzTestInputs/fuzzGrammar/}, the committed corpus.
 *
 * <p>Without {@code JAZZER_FUZZ} this replays that corpus; the runtime module's Surefire configuration
 * sets it, so the test command fuzzes for the bounded time below. Accepted inputs are kept (up to
 * {@link #KEEP}) under {@code target/grammar-fuzz-accepted/} for {@link GrammarNativeReplayTest}, which
 * runs them through llama.cpp itself in a child process: Java cannot catch a native abort.
 */
class GrammarFuzzTest {

    static final Path ACCEPTED = Path.of("target", "grammar-fuzz-accepted");
    private static final int KEEP = 40;
    private static final AtomicInteger kept = new AtomicInteger();
    private static final Set<String> shapes = ConcurrentHashMap.newKeySet();
    private static LlamaModel model;
    private static GrammarVocab vocab;

    private static synchronized GrammarVocab vocab() {
        if (vocab == null) {
            model = LlamaModel.load(TestModels.tinyQwen3(), ModelOptions.cpu());
            vocab = model.vocab().grammarView();
        }
        return vocab;
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzGrammar(byte[] input) {
        String text = GrammarInputs.text(input);
        Grammar grammar;
        try {
            grammar = Grammar.compile(text, vocab());
        } catch (GrammarException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "a refusal says why");
            return;
        }
        keep(input, grammar);
    }

    /** Keeps an accepted input whose shape (rule count, rough length) is new, so the native replay sees variety. */
    private static void keep(byte[] input, Grammar grammar) {
        if (kept.get() >= KEEP || !shapes.add(grammar.rules() + ":" + Math.min(input.length / 16, 16))) {
            return;
        }
        try {
            Files.createDirectories(ACCEPTED);
            Path file = ACCEPTED.resolve("accepted-" + sha1(input));
            if (!Files.exists(file)) {
                Files.write(file, input);
                kept.incrementAndGet();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
