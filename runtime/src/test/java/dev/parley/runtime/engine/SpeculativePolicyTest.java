package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.engine.SimulatedExecutor.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Speculative decoding's decisions against a {@link SimulatedExecutor}: which drafts go into the one
 * batch of a step beside other slots' tokens and prefill, how many of them are kept, and that the
 * rejected ones' cells are cut (the executor refuses any batch whose positions do not continue a
 * sequence, so a wrong rollback fails the next step). The simulated sampler puts token
 * {@code 999 + p} at position {@code p}, so a prompt that contains those tokens is a history the
 * answer "quotes", and the drafts are predictable.
 */
class SpeculativePolicyTest {

    private static final class Harness {
        final SimulatedExecutor exec;
        final ArrayBlockingQueue<Pending> queue = new ArrayBlockingQueue<>(16);
        final Scheduler scheduler;
        final List<TokenStream> streams = new ArrayList<>();

        Harness(int slots, int cells, int batch, Speculation speculation) {
            exec = new SimulatedExecutor(cells, slots, batch);
            scheduler = new Scheduler(exec, cells, queue, TimeUnit.SECONDS.toNanos(30), true, new EngineObserver() {}, null, null, 0,
                    speculation);
        }

        TokenStream submit(String id, int[] prompt, int maxTokens) {
            TokenStream stream = new TokenStream(id);
            GenerationRequest r = GenerationRequest.greedy(id, new Prompt.Tokens(prompt), maxTokens);
            assertTrue(queue.offer(new Pending(r, prompt, "", null, stream, System.nanoTime())));
            streams.add(stream);
            return stream;
        }

        /** Steps until every stream ended; their last events. */
        List<GenerationEvent> runToEnd(int max) throws InterruptedException {
            List<List<GenerationEvent>> events = new ArrayList<>();
            streams.forEach(s -> events.add(new ArrayList<>()));
            for (int i = 0; i < max; i++) {
                scheduler.step();
                boolean all = true;
                for (int k = 0; k < streams.size(); k++) {
                    GenerationEvent e;
                    while ((e = streams.get(k).poll(0)) != null) {
                        events.get(k).add(e);
                    }
                    all &= !events.get(k).isEmpty() && events.get(k).getLast() instanceof GenerationEvent.Done;
                }
                if (all) {
                    return events.stream().map(List::getLast).toList();
                }
            }
            throw new AssertionError("not done after " + max + " steps");
        }

        /** The rows each decode carried for {@code seq}. */
        List<List<Row>> rowsOf(int seq) {
            List<List<Row>> out = new ArrayList<>();
            for (List<Row> b : exec.decoded) {
                List<Row> mine = b.stream().filter(r -> r.sequence() == seq).toList();
                if (!mine.isEmpty()) {
                    out.add(mine);
                }
            }
            return out;
        }
    }

    private static Speculation ngram(int max) {
        return Speculation.ngram(max);
    }

    /** A 10-token prompt whose tokens 1..5 are what the answer will say at positions 10..14. */
    private static final int[] QUOTED = {5, 1009, 1010, 1011, 1012, 1013, 50, 51, 52, 53};

    @Test
    void aQuotedRunIsDraftedVerifiedInOneDecodeAndKeptWhole() throws Exception {
        Harness h = new Harness(1, 256, 64, ngram(4));
        h.submit("q", QUOTED, 12);
        GenerationEvent.Done d = assertInstanceOf(GenerationEvent.Done.class, h.runToEnd(40).getFirst());
        assertEquals(FinishReason.LENGTH, d.reason());
        assertEquals(12, d.usage().generatedTokens(), "drafts never change how many tokens are generated");

        List<List<Row>> rows = h.rowsOf(0);
        // decode 0: the prompt; decode 1: token 1009 at 10 and drafts 1010..1013 at 11..14, every row with logits
        assertEquals(List.of(new Row(1009, 10, 0, true), new Row(1010, 11, 0, true), new Row(1011, 12, 0, true),
                new Row(1012, 13, 0, true), new Row(1013, 14, 0, true)), rows.get(1));
        // all four accepted: the next decode is the token sampled after the last draft, at 15
        assertEquals(new Row(1014, 15, 0, true), rows.get(2).getFirst());
        assertEquals(List.of(), h.exec.calls.stream().filter(c -> c.startsWith("cut")).toList(), "nothing rejected, nothing cut");
        assertEquals(4, h.scheduler.counters.draftedTokens.sum());
        assertEquals(4, h.scheduler.counters.acceptedTokens.sum());
        // 12 tokens in 1 prefill + 7 decodes instead of 1 + 11; the KV holds prompt and output but the last token
        assertEquals(1 + 7, rows.size());
        assertEquals(10 + 11, h.exec.length(0));
    }

    @Test
    void aRejectedDraftsCellsAreCutAndDecodingGoesOnFromTheFirstDifferentToken() throws Exception {
        // After 1009, the history says 1010, 77, 78: 1010 is right, 77 is not (the model says 1011)
        int[] prompt = {5, 1009, 1010, 77, 78, 79, 50, 51, 52, 53};
        Harness h = new Harness(1, 256, 64, ngram(4));
        h.submit("r", prompt, 6);
        h.runToEnd(40);

        List<List<Row>> rows = h.rowsOf(0);
        assertEquals(List.of(new Row(1009, 10, 0, true), new Row(1010, 11, 0, true), new Row(77, 12, 0, true),
                new Row(78, 13, 0, true), new Row(79, 14, 0, true)), rows.get(1));
        assertTrue(h.exec.calls.contains("cut 0 12"), "the cells of 77, 78, 79 go: " + h.exec.calls);
        assertEquals(new Row(1011, 12, 0, true), rows.get(2).getFirst(), "the model's own token at the first rejected position");
        assertEquals(4, h.scheduler.counters.draftedTokens.sum(), "no later token is found in the history: " + rows);
        assertEquals(1, h.scheduler.counters.acceptedTokens.sum());
    }

    @Test
    void draftsShareTheBatchWithOtherSlotsTokensAndPrefill() throws Exception {
        Harness h = new Harness(3, 512, 64, ngram(4));
        h.submit("quoting", QUOTED, 8);
        h.submit("plain", new int[] {300, 301, 302, 303, 304, 305, 306, 307, 308, 309}, 8);
        h.scheduler.step(); // both prompts prefilled in one batch
        h.submit("late", new int[] {400, 401, 402, 403, 404, 405}, 2);
        h.scheduler.step();

        List<Row> second = h.exec.decoded.get(1);
        assertEquals(List.of(new Row(1009, 10, 0, true), new Row(1010, 11, 0, true), new Row(1011, 12, 0, true),
                new Row(1012, 13, 0, true), new Row(1013, 14, 0, true), new Row(1009, 10, 1, true)), second.subList(0, 6),
                "slot 0's token and drafts, slot 1's plain token (its history has no match)");
        List<Row> prefill = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prefill.add(new Row(400 + i, i, 2, i == 5));
        }
        assertEquals(prefill, second.subList(6, second.size()), "and the late prompt's prefill, in the same decode");
        for (GenerationEvent e : h.runToEnd(40)) {
            assertEquals(FinishReason.LENGTH, assertInstanceOf(GenerationEvent.Done.class, e).reason());
        }
    }

    @Test
    void outputAndKvAreTheSameWithAndWithoutSpeculation() throws Exception {
        int[][] prompts = {QUOTED, {5, 1009, 1010, 77, 78, 79, 50, 51, 52, 53}, {7, 7, 7, 7, 1009, 7, 1010, 7, 1011, 7}};
        for (int[] prompt : prompts) {
            Harness on = new Harness(1, 256, 64, ngram(5));
            Harness off = new Harness(1, 256, 64, Speculation.OFF);
            on.submit("a", prompt, 20);
            off.submit("a", prompt, 20);
            GenerationEvent.Done a = (GenerationEvent.Done) on.runToEnd(60).getFirst();
            GenerationEvent.Done b = (GenerationEvent.Done) off.runToEnd(60).getFirst();
            assertEquals(b.usage().generatedTokens(), a.usage().generatedTokens());
            assertEquals(off.exec.length(0), on.exec.length(0), "the same cells held at the end");
            assertEquals(off.exec.finalTokens(0), on.exec.finalTokens(0), "the same tokens at the same positions, drafts cut");
        }
    }

    @Test
    void aSlotWhoseDraftsKeepFailingStopsDraftingForAWhile() throws Exception {
        // Every generated token 10xx appears in the history followed by 0: each draft is wrong at once.
        int[] prompt = new int[64];
        for (int i = 0; i < 32; i++) {
            prompt[2 * i] = 1063 + i;
        }
        Harness h = new Harness(1, 512, 64, ngram(4));
        h.submit("wrong", prompt, 40);
        h.runToEnd(80);
        assertEquals(0, h.scheduler.counters.acceptedTokens.sum());
        // A window of 16 drafted tokens (4 steps of 4), then a pause of 16 generated tokens, then 16 more
        // drafted: 32 in all within 40 tokens rather than 4 per token.
        assertEquals(2 * DraftGate.WINDOW, h.scheduler.counters.draftedTokens.sum());
    }

    @Test
    void whenTheCacheHasNoRoomForDraftsTheStepDecodesWithoutThem() throws Exception {
        // 22 cells: two 10-token prompts and one token each fit, a draft more does not
        Harness h = new Harness(2, 22, 64, ngram(4));
        h.submit("quoting", QUOTED, 3);
        h.submit("plain", new int[] {300, 301, 302, 303, 304, 305, 306, 307, 308, 309}, 2);
        for (GenerationEvent e : h.runToEnd(20)) {
            assertEquals(FinishReason.LENGTH, assertInstanceOf(GenerationEvent.Done.class, e).reason());
        }
        assertTrue(h.exec.noRoom >= 1);
        assertEquals(List.of(new Row(1009, 10, 0, true), new Row(1009, 10, 1, true)), h.exec.decoded.get(1),
                "the step retried without slot 0's draft rather than pausing or failing anything");
        assertEquals(0, h.scheduler.counters.draftedTokens.sum());
    }
}
