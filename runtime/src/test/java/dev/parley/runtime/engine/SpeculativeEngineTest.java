package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.chat;
import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.testmodel.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Speculative decoding on the tiny generated Qwen3 model: the same requests on an engine with n-gram
 * drafting and on one without give the same greedy tokens (up to near ties of two logits), four at a
 * time (so drafts share batches with other slots' tokens and prefill), with stop strings, grammars
 * and logprobs. The tiny model's answers repeat themselves, so drafts are made and accepted often
 * (the test checks that they were, or it would prove nothing).
 */
class SpeculativeEngineTest {

    private static Engine plain;
    private static Engine speculative;
    /** Drafting with a draft model: the tiny model drafts for itself, so greedy drafts are almost all accepted. */
    private static Engine drafted;

    @BeforeAll
    static void start() {
        EngineConfig c = EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2);
        plain = Engine.start(c);
        speculative = Engine.start(c.withSpeculation(Speculation.ngram(6)));
        drafted = Engine.start(c.withSpeculation(Speculation.draft(TestModels.tinyQwen3(), 6, 0f)));
    }

    @AfterAll
    static void stop() {
        plain.close();
        speculative.close();
        drafted.close();
    }

    private static List<GenerationRequest> requests() {
        List<GenerationRequest> out = new ArrayList<>();
        String[] asks = {"Count to ten.", "Repeat after me: the quick brown fox jumps over the lazy dog, the quick brown fox.",
                "Write a poem about the sea.", "def add(a, b):\n    return a + b\n\nRename add to plus.", "Say hi.",
                "List: apples, pears, plums, apples, pears, plums. Continue the list.", "What is 2 + 2?",
                "Translate 'good morning' into French.", "Tell me a story about a cat and a dog.", "abc abc abc abc",
                "Summarize: Parley is a server. Parley serves models. Parley is fast.", "Why is the sky blue?"};
        for (int i = 0; i < asks.length; i++) {
            out.add(GenerationRequest.greedy("g" + i, chat(asks[i]), 48).withLogprobs(2)); // logprobs show near ties
        }
        Sampling seeded = new Sampling(1.0f, 40, 0.95f, 0.05f, 1.1f, 0, 0, 64, 99);
        for (int i = 0; i < 4; i++) {
            out.add(new GenerationRequest("s" + i, chat(asks[i]), 40, seeded, List.of(), null));
        }
        out.add(new GenerationRequest("stop", chat(asks[1]), 48, Sampling.GREEDY, List.of("the"), null));
        out.add(new GenerationRequest("grammar", chat(asks[5]), 32, Sampling.GREEDY, List.of(), "root ::= (\"ab\" | \"cd\" | \" \")+"));
        out.add(GenerationRequest.greedy("logprobs", chat(asks[9]), 32).withLogprobs(2));
        return out;
    }

    /** Runs the requests four at a time; each one's events, in order. */
    private static List<List<GenerationEvent>> run(Engine engine, List<GenerationRequest> requests) throws InterruptedException {
        List<List<GenerationEvent>> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i += 4) {
            List<TokenStream> streams = new ArrayList<>();
            for (GenerationRequest r : requests.subList(i, Math.min(requests.size(), i + 4))) {
                streams.add(engine.submit(r));
            }
            for (TokenStream s : streams) {
                out.add(s.drain(120_000));
            }
        }
        return out;
    }

    @Test
    void outputIsTheSameTokensWithAndWithoutDrafts() throws Exception {
        List<GenerationRequest> requests = requests();
        List<List<GenerationEvent>> expected = run(plain, requests);
        assertSameOutput(requests, expected, run(speculative, requests));
        EngineStats stats = speculative.stats();
        assertTrue(stats.draftedTokens() > 0, "something was drafted");
        assertTrue(stats.acceptedTokens() > 0 && stats.acceptedTokens() <= stats.draftedTokens(), stats.toString());
        assertEquals(0, plain.stats().draftedTokens());
    }

    /**
     * With a draft model nearly every token is computed in a verify batch, whose logits differ from a
     * one-token decode's in the last bits; where the model's two best tokens are that close, greedy
     * picks either. So each answer must be the plain engine's token for token up to such a near tie
     * (the two best within {@link #NEAR_TIE} nats there, the drafted engine's token one of them), and most
     * answers must be identical throughout, or the test would prove nothing.
     */
    @Test
    void aDraftModelGivesTheSameTokensUpToNearTiesAndItsOwnGreedyDraftsAreAccepted() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (GenerationRequest r : requests()) {
            if (isGreedyAsk(r.id())) {
                requests.add(r);
            }
        }
        List<List<GenerationEvent>> expected = run(plain, requests);
        List<List<GenerationEvent>> actual = run(drafted, requests);
        int identical = 0;
        for (int i = 0; i < requests.size(); i++) {
            if (sameUpToNearTie(requests.get(i).id(), expected.get(i), actual.get(i))) {
                identical++;
            }
        }
        assertTrue(identical * 4 >= requests.size() * 3, identical + " of " + requests.size() + " answers identical");
        EngineStats stats = drafted.stats();
        assertTrue(stats.draftedTokens() > 0, "something was drafted");
        // The same weights draft and verify: a greedy draft is the target's own choice but at near ties.
        assertTrue(stats.acceptedTokens() * 2 > stats.draftedTokens(), stats.toString());
    }

    /**
     * Whether two greedy answers are the same tokens throughout; where they are not, asserts that
     * they part at a near tie of the expected answer's two best tokens, the actual one of them.
     */
    private static boolean sameUpToNearTie(String request, List<GenerationEvent> expected, List<GenerationEvent> actual) {
        List<TokenLogprob> e = tokenLogprobs(expected);
        List<TokenLogprob> a = tokenLogprobs(actual);
        assertTrue(!e.isEmpty(), request + ": the answer has logprobs");
        int at = 0;
        while (at < e.size() && at < a.size() && e.get(at).token() == a.get(at).token()) {
            at++;
        }
        if (at == e.size() && at == a.size()) {
            assertEquals(done(expected).reason(), done(actual).reason(), request);
            return true;
        }
        String id = request + " at token " + at;
        assertTrue(at < e.size() && at < a.size(), id + ": one answer is a prefix of the other, with no near tie to explain it");
        List<TokenLogprob.Alternative> top = e.get(at).top();
        assertTrue(top.size() == 2 && top.get(0).logprob() - top.get(1).logprob() < NEAR_TIE, id + ": not a near tie: " + top);
        assertTrue(top.get(0).token() == a.get(at).token() || top.get(1).token() == a.get(at).token(), id + ": " + top);
        return false;
    }

    /** The plain greedy asks g0, g1, ... (not "grammar"). */
    private static boolean isGreedyAsk(String id) {
        return id.matches("g\\d+");
    }

    /** Two logprobs this close are a tie to the last bits of a logit. */
    private static final float NEAR_TIE = 0.01f;

    private static List<TokenLogprob> tokenLogprobs(List<GenerationEvent> events) {
        List<TokenLogprob> out = new ArrayList<>();
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                out.addAll(p.logprobs());
            }
        }
        return out;
    }

    /**
     * The greedy answers ("g") are the same tokens, or part at a near tie (a verify batch computes a
     * row's logits in another shape than a one-token decode, so the last bits of a logit differ), and
     * most are identical; the others (stop string, grammar, logprobs) are identical.
     */
    private static void assertSameOutput(List<GenerationRequest> requests, List<List<GenerationEvent>> expected,
                                         List<List<GenerationEvent>> actual) {
        int greedy = 0;
        int identical = 0;
        for (int i = 0; i < requests.size(); i++) {
            String id = requests.get(i).id();
            GenerationEvent.Done a = done(actual.get(i));
            GenerationEvent.Done e = done(expected.get(i));
            if (isGreedyAsk(id)) {
                greedy++;
                if (sameUpToNearTie(id, expected.get(i), actual.get(i))) {
                    identical++;
                }
                continue;
            }
            if (id.startsWith("s")) {
                // Sampled: the same distribution, not the same draws. A verify batch computes a row's
                // logits in another shape than a one-token decode, and the last bits differ; a draw
                // that lands on a boundary then picks the neighbour, and the rest follows another path.
                assertEquals(e.usage().generatedTokens(), a.usage().generatedTokens(), id);
                continue;
            }
            assertEquals(raw(expected.get(i)), raw(actual.get(i)), id);
            assertEquals(e.reason(), a.reason(), id);
            assertEquals(e.stopSequence(), a.stopSequence(), id);
            assertEquals(e.usage().generatedTokens(), a.usage().generatedTokens(), id);
            if (id.equals("logprobs")) {
                assertEquals(logprobs(expected.get(i)), logprobs(actual.get(i)), "the same tokens and alternatives");
            }
        }
        assertTrue(identical * 4 >= greedy * 3, identical + " of " + greedy + " greedy answers identical");
    }

    /** Each logprob's token and its alternatives' tokens (the values may differ in the last bits between batch shapes). */
    private static List<String> logprobs(List<GenerationEvent> events) {
        List<String> out = new ArrayList<>();
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                p.logprobs().forEach(l -> out.add(l.token() + " " + l.top().stream().map(TokenLogprob.Alternative::token).toList()));
            }
        }
        return out;
    }

    @Test
    void aRequestCanTurnDraftingOff() throws Exception {
        long before = speculative.stats().draftedTokens();
        GenerationRequest r = GenerationRequest.greedy("no-drafts", chat("abc abc abc abc"), 32).withSpeculative(false);
        String off = raw(speculative.submit(r).drain(60_000));
        assertEquals(before, speculative.stats().draftedTokens(), "nothing drafted for it");
        assertEquals(raw(plain.submit(GenerationRequest.greedy("plain", chat("abc abc abc abc"), 32)).drain(60_000)), off);
    }
}
