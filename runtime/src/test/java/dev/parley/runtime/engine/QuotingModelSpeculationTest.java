package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * N-gram drafting on a model that quotes its history ({@link ModelShape#TINY_QWEN3_BIGRAM}, whose
 * layers add nothing): a text, the model's own answer to it and the text again make the model say
 * that answer again, so the drafts drawn from the history are right and are accepted, and the answer
 * takes fewer steps than without drafting, token for token the same.
 */
class QuotingModelSpeculationTest {

    private static final String TEXT = "The function parse reads the header, then the body, then the trailer, and returns them in order.";
    private static final int TOKENS = 64;

    private static Engine plain;
    private static Engine speculative;

    @BeforeAll
    static void start() {
        EngineConfig c = EngineConfig.defaults(TestModels.ensure(ModelShape.TINY_QWEN3_BIGRAM)).withThreads(2, 2).withPrefixReuse(false);
        plain = Engine.start(c);
        speculative = Engine.start(c.withSpeculation(Speculation.ngram(8)));
    }

    @AfterAll
    static void stop() {
        plain.close();
        speculative.close();
    }

    private static List<GenerationEvent> generate(Engine engine, String prompt) throws InterruptedException {
        return engine.submit(GenerationRequest.greedy("quote", new Prompt.Raw(prompt), TOKENS)).drain(120_000);
    }

    @Test
    void theModelSaysAgainWhatItSaidAfterTheSameText() throws InterruptedException {
        List<GenerationEvent> first = generate(plain, TEXT);
        String answer = raw(first);
        assertEquals(TOKENS, done(first).usage().generatedTokens(), "the answer runs to max_tokens");
        assertEquals(answer, raw(generate(plain, TEXT + answer + "\n\n" + TEXT)),
                "a model whose layers add nothing continues a text the same way wherever the text stands");
    }

    @Test
    void draftsFromTheHistoryAreAcceptedAndSaveSteps() throws InterruptedException {
        String quoting = TEXT + raw(generate(plain, TEXT)) + "\n\n" + TEXT;
        EngineStats plainBefore = plain.stats();
        List<GenerationEvent> without = generate(plain, quoting);
        long plainSteps = plain.stats().steps() - plainBefore.steps();

        EngineStats before = speculative.stats();
        List<GenerationEvent> with = generate(speculative, quoting);
        EngineStats after = speculative.stats();
        long drafted = after.draftedTokens() - before.draftedTokens();
        long accepted = after.acceptedTokens() - before.acceptedTokens();
        long steps = after.steps() - before.steps();

        assertEquals(raw(without), raw(with), "greedy output is the same with drafts");
        assertEquals(done(without).usage().generatedTokens(), done(with).usage().generatedTokens());
        assertTrue(accepted >= TOKENS / 2, "at least half the answer came from accepted drafts: " + accepted + " of " + drafted + " drafted");
        assertTrue(accepted * 4 >= drafted * 3, "at least 3/4 of the drafts were accepted: " + accepted + " of " + drafted);
        assertTrue(steps * 2 <= plainSteps, "drafting at least halved the steps: " + steps + " against " + plainSteps);
    }
}
