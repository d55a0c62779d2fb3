package dev.parley.runtime.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.testmodel.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every grammar in the committed corpus (the crashers, every input that ever crashed, seeds),
 * and the inputs {@link GrammarFuzzTest} accepted in this build, go through the real native path in a
 * child JVM: Parley's checks, then llama.cpp's grammar sampler on the tiny model, greedy and random. A
 * native abort ends the child, and the test fails naming the input.
 */
class GrammarNativeReplayTest {

    /** Jazzer's inputs directory for {@link GrammarFuzzTest#fuzzGrammar}: the committed corpus. */
    static final Path CORPUS = Path.of("src/test/resources/dev/parley/runtime/grammar/GrammarFuzzTestInputs/fuzzGrammar");

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void theCorpusAndTheFuzzersAcceptedInputsRunNativelyWithoutEndingTheProcess(@TempDir Path work) throws Exception {
        List<Path> corpus = files(CORPUS);
        assertTrue(corpus.size() >= 10, "the committed corpus is at " + CORPUS.toAbsolutePath());
        List<Path> inputs = new ArrayList<>(corpus);
        inputs.addAll(files(GrammarFuzzTest.ACCEPTED));
        ChildReplay r = ChildReplay.run(TestModels.tinyQwen3(), true, 8, inputs, work);
        assertNull(r.crash(), r::crash);
        assertEquals(inputs.size(), r.outcomes().size(), () -> "every input has an outcome: " + r.outcomes());
        for (Path p : corpus) {
            String name = p.getFileName().toString();
            if (name.startsWith("issue-") || name.startsWith("refuse-")) {
                assertTrue(r.outcomes().get(name).startsWith("REFUSED"), name + ": " + r.outcomes().get(name));
            }
            if (name.startsWith("ok-")) {
                assertTrue(r.outcomes().get(name).startsWith("RAN"), name + ": " + r.outcomes().get(name));
            }
        }
    }

    /** The harness can fail: without Parley's checks, the first grammar ends the child, and the input is named. */
    @Test
    void theHarnessNamesTheInputThatEndedTheChild(@TempDir Path work) throws Exception {
        Path harmless = Files.writeString(work.resolve("harmless"), "root ::= \"ok\"");
        Path crasher = Files.writeString(work.resolve("reversed-range"), "root ::= [z-a]");
        ChildReplay r = ChildReplay.run(TestModels.tinyQwen3(), false, 4, List.of(harmless, crasher), work);
        assertEquals(134, r.exitCode(), () -> "llama.cpp aborts on it: " + r.stderrTail());
        assertEquals("reversed-range", r.lastBegun());
        assertTrue(r.outcomes().get("harmless").startsWith("RAN"), r.outcomes().toString());
        assertNotNull(r.crash());
        assertTrue(r.crash().contains("'reversed-range'") && r.crash().contains("SIGABRT"), r.crash());
    }
}
