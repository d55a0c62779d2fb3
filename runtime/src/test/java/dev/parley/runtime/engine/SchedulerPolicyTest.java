package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.engine.RoomPolicy.Action;
import dev.parley.runtime.engine.StepPlan.Chunk;
import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.engine.SimulatedExecutor.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's decisions (admission, slot choice, queue expiry, chunked prefill, pausing for room,
 * cancellation) stepped one at a time against a {@link SimulatedExecutor}: no model, no natives, and
 * every assertion on what was decided, step by step: the {@link StepPlan} itself where the decision is
 * the plan's, the decoded batches and sequence calls where it is what was carried out. The shape follows vLLM's
 * tests/v1/core/test_scheduler.py (small limits, fake requests, assertions on each schedule).
 */
class SchedulerPolicyTest {

    private static final long QUEUE_TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    /** A scheduler on {@code slots} slots of {@code cells} shared cells, and the requests given to it. */
    private static final class Harness {
        final SimulatedExecutor exec;
        final ArrayBlockingQueue<Pending> queue = new ArrayBlockingQueue<>(16);
        final Scheduler scheduler;
        final Map<String, TokenStream> streams = new HashMap<>();
        final Map<String, List<GenerationEvent>> events = new HashMap<>();
        /** Every event of every request, in the order the steps produced them: "r0 started 1", "r0 done LENGTH". */
        final List<String> log = new ArrayList<>();

        Harness(int slots, int cells, int batch) {
            this(slots, cells, batch, Speculation.OFF);
        }

        Harness(int slots, int cells, int batch, Speculation speculation) {
            this(slots, cells, batch, speculation, null);
        }

        /** Preempted generations (request ids, once per preemption) and whether each went to the tier. */
        final List<String> preempted = new ArrayList<>();

        Harness(int slots, int cells, int batch, Speculation speculation, KvTiers tiers) {
            exec = new SimulatedExecutor(cells, slots, batch);
            EngineObserver observer = new EngineObserver() {
                @Override
                public void preempted(int tokens, boolean toTier) {
                    preempted.add((toTier ? "tier " : "in place ") + tokens);
                }
            };
            scheduler = new Scheduler(exec, cells, queue, QUEUE_TIMEOUT, true, observer, tiers, null, 0, speculation);
        }

        /** What the last step decided. */
        StepPlan plan() {
            return scheduler.lastPlan();
        }

        TokenStream submit(String id, int[] prompt, int maxTokens) {
            return submit(id, prompt, maxTokens, System.nanoTime());
        }

        TokenStream submit(String id, int[] prompt, int maxTokens, long enqueuedNanos) {
            TokenStream stream = new TokenStream(id);
            GenerationRequest r = GenerationRequest.greedy(id, new Prompt.Tokens(prompt), maxTokens);
            assertTrue(queue.offer(new Pending(r, prompt, "", null, stream, enqueuedNanos)));
            streams.put(id, stream);
            events.put(id, new ArrayList<>());
            return stream;
        }

        void step() throws InterruptedException {
            scheduler.step();
            for (Map.Entry<String, TokenStream> e : streams.entrySet()) {
                GenerationEvent ev;
                while ((ev = e.getValue().poll(0)) != null) {
                    events.get(e.getKey()).add(ev);
                    switch (ev) {
                        case GenerationEvent.Started s -> log.add(e.getKey() + " started " + s.slot());
                        case GenerationEvent.Done d -> log.add(e.getKey() + " done " + d.reason());
                        case GenerationEvent.Failed f -> log.add(e.getKey() + " failed " + f.code());
                        default -> { }
                    }
                }
            }
        }

        boolean ended(String id) {
            List<GenerationEvent> ev = events.get(id);
            return !ev.isEmpty() && (ev.getLast() instanceof GenerationEvent.Done || ev.getLast() instanceof GenerationEvent.Failed);
        }

        /** Steps until every request ended; fails after {@code max} steps. */
        void runToEnd(int max) throws InterruptedException {
            for (int i = 0; i < max; i++) {
                if (streams.keySet().stream().allMatch(this::ended)) {
                    return;
                }
                step();
            }
            throw new AssertionError("not done after " + max + " steps: " + log);
        }

        GenerationEvent.Done done(String id) {
            return assertInstanceOf(GenerationEvent.Done.class, events.get(id).getLast(), id + ": " + events.get(id));
        }

        GenerationEvent.Started started(String id) {
            return assertInstanceOf(GenerationEvent.Started.class, events.get(id).getFirst(), id + ": " + events.get(id));
        }
    }

    /** Tokens {@code from..from+n-1}: distinct prompts share nothing. */
    private static int[] tokens(int from, int n) {
        return IntStream.range(from, from + n).toArray();
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(IntStream.of(a), IntStream.of(b)).toArray();
    }

    private static List<Row> prefill(int seq, int from, int to, int prompt0) {
        List<Row> rows = new ArrayList<>();
        for (int pos = from; pos < to; pos++) {
            rows.add(new Row(prompt0 + pos, pos, seq, false));
        }
        return rows;
    }

    @Test
    void requestsBeyondTheSlotsWaitAndTakeTheFirstSlotThatFreesInArrivalOrder() throws Exception {
        Harness h = new Harness(2, 256, 64);
        h.submit("r0", tokens(100, 4), 1);
        h.submit("r1", tokens(200, 4), 6);
        h.submit("r2", tokens(300, 4), 2);
        h.submit("r3", tokens(400, 4), 2);
        h.runToEnd(50);

        assertEquals(0, h.started("r0").slot());
        assertEquals(1, h.started("r1").slot());
        assertEquals(0, h.started("r2").slot(), "the slot r0 freed");
        assertEquals(List.of("r0 started 0", "r1 started 1", "r0 done LENGTH", "r2 started 0"), h.log.subList(0, 4),
                "r2 waits for a free slot; r3 waits behind it");
        assertTrue(h.log.indexOf("r3 started 0") > h.log.indexOf("r2 done LENGTH"), h.log.toString());
        assertTrue(h.log.indexOf("r3 started 0") < h.log.indexOf("r1 done LENGTH"), "r3 takes r2's slot while r1 still runs: " + h.log);
        for (String id : List.of("r0", "r1", "r2", "r3")) {
            assertEquals(FinishReason.LENGTH, h.done(id).reason());
        }
        assertEquals(6, h.done("r1").usage().generatedTokens());
    }

    @Test
    void aPromptGoesToTheIdleSlotHoldingItsPrefixAndOnlyTheDivergingTailIsPrefilled() throws Exception {
        Harness h = new Harness(2, 256, 64);
        int[] first = tokens(100, 8);
        int[] second = tokens(200, 8);
        h.submit("a", first, 3);
        h.submit("b", second, 3);
        h.runToEnd(20);
        assertEquals(1, h.started("b").slot());

        int[] followUp = concat(second, tokens(900, 5));
        h.submit("c", followUp, 1);
        int decodes = h.exec.decoded.size();
        h.runToEnd(20);

        GenerationEvent.Started c = h.started("c");
        assertEquals(1, c.slot(), "slot 1 holds b's prompt, the LRU slot 0 holds nothing of it");
        assertEquals(8, c.cachedTokens());
        assertTrue(h.exec.calls.contains("cut 1 8"), "b's generated tokens are cut, its prompt kept: " + h.exec.calls);
        assertEquals(prefillRows(1, followUp, 8), h.exec.decoded.get(decodes), "only the 5 new tokens are decoded");
        assertEquals(8, h.done("c").usage().cachedPromptTokens());
    }

    private static List<Row> prefillRows(int seq, int[] prompt, int from) {
        List<Row> rows = new ArrayList<>();
        for (int pos = from; pos < prompt.length; pos++) {
            rows.add(new Row(prompt[pos], pos, seq, pos == prompt.length - 1));
        }
        return rows;
    }

    @Test
    void aQueuedRequestThatWaitedTooLongOrWasCancelledEndsWithoutASlot() throws Exception {
        Harness h = new Harness(1, 256, 64);
        h.submit("running", tokens(100, 4), 40);
        h.submit("stale", tokens(200, 4), 4, System.nanoTime() - 2 * QUEUE_TIMEOUT);
        TokenStream cancelled = h.submit("cancelled", tokens(300, 4), 4);
        h.submit("waiting", tokens(400, 4), 4);
        cancelled.cancel();
        h.step();

        assertEquals(0, h.started("running").slot());
        GenerationEvent.Failed stale = assertInstanceOf(GenerationEvent.Failed.class, h.events.get("stale").getFirst());
        assertEquals(ErrorCode.QUEUE_TIMEOUT, stale.code());
        assertEquals(1, h.events.get("stale").size(), "no Started before the failure");
        GenerationEvent.Done gone = h.done("cancelled");
        assertEquals(FinishReason.CANCELLED, gone.reason());
        assertEquals(0, gone.usage().generatedTokens());
        assertEquals(1, h.events.get("cancelled").size(), "no Started before the Done");
        assertEquals(List.of(), h.events.get("waiting"), "still queued behind the running one");
        assertEquals(1, h.queue.size());
    }

    @Test
    void prefillIsChunkedByTheBatchOldestAdmissionFirstWhileGeneratingSlotsKeepDecoding() throws Exception {
        Harness h = new Harness(2, 256, 8);
        h.submit("long", tokens(100, 12), 4);
        h.submit("short", tokens(200, 6), 4);

        h.step();
        assertEquals(prefill(0, 0, 8, 100), h.exec.decoded.get(0), "the older prompt fills the whole batch");
        h.step();
        List<Row> second = new ArrayList<>(prefill(0, 8, 11, 100));
        second.add(new Row(111, 11, 0, true));
        second.addAll(prefill(1, 0, 4, 200));
        assertEquals(second, h.exec.decoded.get(1), "its tail, then the younger prompt in the rest of the batch");
        h.step();
        List<Row> third = new ArrayList<>(List.of(new Row(1011, 12, 0, true)));
        third.addAll(prefill(1, 4, 5, 200));
        third.add(new Row(205, 5, 1, true));
        assertEquals(third, h.exec.decoded.get(2), "a decode token for the generating slot first, then the rest of the prompt");
        h.step();
        assertEquals(List.of(new Row(1012, 13, 0, true), new Row(1005, 6, 1, true)), h.exec.decoded.get(3));
    }

    @Test
    void whenTheCellsRunOutTheNewestPausesAndResumesWhenTheOlderEnds() throws Exception {
        Harness h = new Harness(2, 24, 8);
        h.submit("old", tokens(100, 8), 10);
        h.submit("new", tokens(200, 8), 10);
        int maxUsed = 0;
        for (int i = 0; i < 60 && !(h.ended("old") && h.ended("new")); i++) {
            h.step();
            maxUsed = Math.max(maxUsed, h.exec.used());
        }

        assertEquals(FinishReason.LENGTH, h.done("old").reason());
        assertEquals(FinishReason.LENGTH, h.done("new").reason(), "paused, not failed");
        assertEquals(10, h.done("old").usage().generatedTokens());
        assertEquals(10, h.done("new").usage().generatedTokens());
        assertTrue(h.log.indexOf("new done LENGTH") > h.log.indexOf("old done LENGTH"), h.log.toString());
        assertTrue(h.exec.noRoom > 0, "the cells did run out");
        assertTrue(maxUsed <= 24);
        List<String> calls = h.exec.calls;
        int save = calls.indexOf("save 1");
        int clear = calls.indexOf("clear 1");
        assertTrue(save >= 0 && clear == save + 1, "the newest (slot 1) saved, then emptied: " + calls);
        int restore = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).startsWith("restore 1 ")) {
                restore = i;
            }
        }
        assertTrue(restore > clear, "and restored: " + calls);
        assertTrue(calls.subList(clear, restore).contains("clear 0"), "the finished older one's idle cache made the room: " + calls);
        // While paused, nothing of slot 1 is decoded; after the resume its positions continue where they were.
        int pausedAt = -1;
        int resumedAt = -1;
        for (int i = 0; i < h.exec.decoded.size(); i++) {
            boolean hasNew = h.exec.decoded.get(i).stream().anyMatch(r -> r.sequence() == 1);
            boolean hasOld = h.exec.decoded.get(i).stream().anyMatch(r -> r.sequence() == 0);
            if (pausedAt < 0 && hasOld && !hasNew && i > 1) {
                pausedAt = i;
            }
            if (pausedAt >= 0 && resumedAt < 0 && hasNew) {
                resumedAt = i;
            }
        }
        assertTrue(pausedAt > 0 && resumedAt > pausedAt, "decodes of the old alone, then the new again");
        assertTrue(h.exec.decoded.subList(resumedAt, h.exec.decoded.size()).stream().flatMap(List::stream).noneMatch(r -> r.sequence() == 0),
                "the old one was done by then");
    }

    @Test
    void whileAGenerationIsPausedNoNewRequestIsAdmittedEvenToAFreeSlot() throws Exception {
        Harness h = new Harness(3, 24, 8);
        h.submit("old", tokens(100, 8), 10);
        h.submit("new", tokens(200, 8), 10);
        for (int i = 0; i < 40 && !h.exec.calls.contains("save 1"); i++) {
            h.step();
        }
        assertTrue(h.exec.calls.contains("save 1"), "new was paused: " + h.exec.calls);
        h.submit("later", tokens(300, 4), 2);
        h.step();
        assertEquals(List.of(), h.events.get("later"), "slot 2 is free, but the paused one gets the room first");
        h.runToEnd(60);

        assertEquals(2, h.started("later").slot());
        int oldDone = h.log.indexOf("old done LENGTH");
        assertTrue(oldDone >= 0 && h.log.indexOf("later started 2") > oldDone, h.log.toString());
        for (String id : List.of("old", "new", "later")) {
            assertEquals(FinishReason.LENGTH, h.done(id).reason(), id);
        }
    }

    @Test
    void aGenerationThatFillsItsSlotEndsWithLengthBeforeTheCacheRefusesAToken() throws Exception {
        Harness h = new Harness(1, 10, 8); // a slot holds 10 tokens, all the cells there are
        h.submit("alone", tokens(100, 8), 50);
        h.runToEnd(20);

        GenerationEvent.Done d = h.done("alone");
        assertEquals(FinishReason.LENGTH, d.reason());
        assertEquals(3, d.usage().generatedTokens(), "8 prompt tokens and 2 generated fill the slot; the 3rd sampled is the last");
        assertEquals(10, h.exec.used());
        assertEquals(0, h.exec.noRoom, "never a decode the cache had to refuse");
    }

    @Test
    void cancellingARunningRequestFreesItsSlotForTheNextInTheQueue() throws Exception {
        Harness h = new Harness(1, 256, 64);
        TokenStream first = h.submit("first", tokens(100, 4), 100);
        h.submit("second", tokens(200, 4), 2);
        h.step();
        h.step();
        h.step();
        assertEquals(List.of("first started 0"), h.log);
        first.cancel();
        h.step();
        assertEquals(FinishReason.CANCELLED, h.done("first").reason());
        h.runToEnd(10);

        assertEquals(List.of("first started 0", "first done CANCELLED", "second started 0", "second done LENGTH"), h.log);
        assertEquals(0, h.started("second").cachedTokens(), "nothing of first's prompt is second's");
        assertTrue(h.exec.calls.contains("cut 0 0"), "first's cache is dropped for second: " + h.exec.calls);
        assertEquals(2, h.done("second").usage().generatedTokens());
    }

    // ---- the decided plan ----

    @Test
    void thePlanAdmitsInArrivalOrderAndChunksPromptsOldestFirstWithinTheBatch() throws Exception {
        Harness h = new Harness(3, 256, 8);
        h.submit("a", tokens(100, 6), 4);
        h.submit("b", tokens(200, 6), 4);
        h.submit("c", tokens(300, 6), 4);

        h.step();
        assertEquals(List.of(0, 1, 2), h.plan().admittedSlots(), "admitted in arrival order");
        assertEquals(List.of(), h.plan().decodeSlots());
        assertEquals(List.of(new Chunk(0, 6), new Chunk(1, 2)), h.plan().chunks(), "the oldest whole, the next in what is left of 8");
        h.step();
        assertEquals(List.of(), h.plan().admittedSlots());
        assertEquals(List.of(0), h.plan().decodeSlots(), "a's prompt is done: it decodes");
        assertEquals(List.of(new Chunk(1, 4), new Chunk(2, 3)), h.plan().chunks(), "7 rows left: the rest of b, then c");
        h.step();
        assertEquals(List.of(0, 1), h.plan().decodeSlots());
        assertEquals(List.of(new Chunk(2, 3)), h.plan().chunks());
        h.step();
        assertEquals(List.of(0, 1, 2), h.plan().decodeSlots());
        assertEquals(List.of(), h.plan().chunks());
        assertEquals(h.plan().rows(), h.exec.decoded.getLast().size(), "the batch is the plan");
        h.runToEnd(20);
    }

    @Test
    void aBatchWithDraftsThatFindsNoRoomIsPlannedAgainWithoutThemBeforeAnythingElse() throws Exception {
        // 22 cells: two 10-token prompts and a token each fit, slot 0's 4 drafts more do not
        Harness h = new Harness(2, 22, 64, Speculation.ngram(4));
        h.submit("quoting", new int[] {5, 1009, 1010, 1011, 1012, 1013, 50, 51, 52, 53}, 3);
        h.submit("plain", tokens(300, 10), 3);
        h.step();
        assertEquals(List.of(new Chunk(0, 10), new Chunk(1, 10)), h.plan().chunks());
        h.step();

        assertEquals(List.<Action>of(new RoomPolicy.DropDrafts()), h.plan().roomActions(), "drafts go first, and that was enough");
        assertTrue(h.plan().draftsDropped());
        assertEquals(List.of(0, 1), h.plan().decodeSlots());
        assertEquals(0, h.plan().draftLength(0), "planned again without slot 0's draft");
        assertEquals(2, h.exec.decoded.getLast().size());
        assertEquals(1, h.exec.noRoom);
    }

    @Test
    void outOfRoomTheIdleCacheGoesFirstThenTheNewestRunningPausesAndTheOldestNever() throws Exception {
        Harness h = new Harness(4, 40, 8);
        h.submit("idle", tokens(500, 8), 1); // ends at once, its cells stay in its slot
        h.runToEnd(10);
        h.submit("old", tokens(100, 8), 10);
        h.submit("mid", tokens(200, 8), 10);
        h.submit("new", tokens(300, 8), 10);
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 80 && !(h.ended("old") && h.ended("mid") && h.ended("new")); i++) {
            h.step();
            actions.addAll(h.plan().roomActions());
        }
        for (String id : List.of("old", "mid", "new")) {
            assertEquals(FinishReason.LENGTH, h.done(id).reason(), id);
            assertEquals(10, h.done(id).usage().generatedTokens(), id);
        }
        int oldSlot = h.started("old").slot();
        int newSlot = h.started("new").slot();
        List<Action> decisive = actions.stream().filter(a -> !(a instanceof RoomPolicy.ShrinkPrefill)).toList();
        assertEquals(new RoomPolicy.EvictIdle(0), decisive.getFirst(), "the idle slot's cache is emptied before anything running: " + actions);
        RoomPolicy.Pause firstPause = (RoomPolicy.Pause) decisive.stream().filter(a -> a instanceof RoomPolicy.Pause).findFirst().orElseThrow();
        assertEquals(newSlot, firstPause.slot(), "the newest pauses first: " + actions);
        assertTrue(actions.stream().noneMatch(a -> a.equals(new RoomPolicy.Pause(oldSlot)) || a instanceof RoomPolicy.Fail),
                "the oldest always goes on, and nothing fails: " + actions);
    }

    // ---- admission by KV memory, preemption to the RAM tier, fairness ----

    private static KvTiers ramTier() {
        return KvTiers.open(KvSettings.ram(1 << 20), new byte[32]); // a fingerprint is a SHA-256
    }

    @Test
    void requestsAreAdmittedWhileTheCellsHoldThemNotWhileSlotsAreFree() throws Exception {
        // 100 cells: two 40-token prompts and their reserves fit, a third does not, though two slots are free
        Harness h = new Harness(4, 100, 64);
        h.submit("r0", tokens(100, 40), 4);
        h.submit("r1", tokens(200, 40), 4);
        h.submit("r2", tokens(300, 40), 4);
        h.submit("r3", tokens(400, 40), 4);
        h.step();
        assertEquals(List.of(0, 1), h.plan().admittedSlots(), "the cells hold two");
        assertEquals(List.of(), h.events.get("r2"), "r2 waits for room with two slots free");
        assertEquals(2, h.queue.size(), "and r3 behind it");
        h.runToEnd(40);

        int r2 = h.log.indexOf("r2 started " + h.started("r2").slot());
        assertTrue(r2 > h.log.indexOf("r0 done LENGTH") || r2 > h.log.indexOf("r1 done LENGTH"), "r2 starts once one ended: " + h.log);
        assertTrue(h.log.indexOf("r3 started " + h.started("r3").slot()) > r2, "arrival order: " + h.log);
        for (String id : List.of("r0", "r1", "r2", "r3")) {
            assertEquals(FinishReason.LENGTH, h.done(id).reason(), id);
            assertEquals(4, h.done(id).usage().generatedTokens(), id);
        }
        assertEquals(List.of(), h.preempted, "admitted by memory: nothing running had to stop for room");
    }

    @Test
    void outOfRoomTheNewestIsPreemptedToTheRamTierAndResumesWithTheSameTokens() throws Exception {
        try (KvTiers tiers = ramTier()) {
            Harness h = new Harness(2, 100, 64, Speculation.OFF, tiers);
            Harness free = new Harness(2, 1000, 64);
            for (Harness x : List.of(h, free)) {
                x.submit("old", tokens(100, 40), 20);
                x.submit("new", tokens(200, 40), 20);
                x.runToEnd(100);
            }
            assertEquals(List.of("tier 49"), h.preempted, "the newest, saved to the tier with its 40 + 9 tokens, its cells freed");
            List<String> calls = h.exec.calls;
            int save = calls.indexOf("save 1");
            assertTrue(save >= 0 && calls.get(save + 1).equals("clear 1"), "saved, then its cells freed: " + calls);
            assertTrue(calls.indexOf("restore 1 49") > save, "and restored from the tier: " + calls);
            assertTrue(h.log.indexOf("new done LENGTH") > h.log.indexOf("old done LENGTH"), h.log.toString());
            for (String id : List.of("old", "new")) {
                assertEquals(FinishReason.LENGTH, h.done(id).reason(), id);
                assertEquals(20, h.done(id).usage().generatedTokens(), id);
            }
            for (int seq = 0; seq < 2; seq++) {
                assertEquals(free.exec.finalTokens(seq), h.exec.finalTokens(seq), "sequence " + seq + " holds what it would have without pressure");
            }
            assertEquals(0, free.exec.noRoom);
            assertTrue(h.exec.noRoom > 0, "the cells did run out");
        }
    }

    @Test
    void withoutARamTierAGenerationIsPausedInPlaceInstead() throws Exception {
        Harness h = new Harness(2, 100, 64);
        h.submit("old", tokens(100, 40), 20);
        h.submit("new", tokens(200, 40), 20);
        h.runToEnd(100);
        assertEquals(List.of("in place 49"), h.preempted);
        assertEquals(20, h.done("new").usage().generatedTokens());
    }

    @Test
    void underSustainedPressureNoneStarvesTheOldestRunsOnAndOutputIsUnchanged() throws Exception {
        try (KvTiers tiers = ramTier()) {
            Harness h = new Harness(3, 150, 64, Speculation.OFF, tiers);
            Harness free = new Harness(3, 1000, 64);
            Map<String, Integer> stops = new HashMap<>();
            for (Harness x : List.of(h, free)) {
                x.submit("r0", tokens(100, 40), 60);
                x.submit("r1", tokens(200, 40), 60);
                x.submit("r2", tokens(300, 40), 60);
            }
            for (int i = 0; i < 400 && !List.of("r0", "r1", "r2").stream().allMatch(h::ended); i++) {
                h.step();
                for (Action a : h.plan().roomActions()) {
                    if (a instanceof RoomPolicy.Pause p) {
                        stops.merge(h.scheduler.slotInfos()[p.slot()].requestId(), 1, Integer::sum);
                    }
                }
            }
            free.runToEnd(400);
            for (String id : List.of("r0", "r1", "r2")) {
                assertEquals(FinishReason.LENGTH, h.done(id).reason(), id + " ended, none starved: " + h.log);
                assertEquals(60, h.done(id).usage().generatedTokens(), id);
                assertTrue(stops.getOrDefault(id, 0) <= RoomPolicy.MAX_PREEMPTIONS, id + ": " + stops);
            }
            assertEquals(null, stops.get("r0"), "the oldest is never stopped: " + stops);
            assertTrue(stops.values().stream().mapToInt(Integer::intValue).sum() >= 2, "the pressure did stop generations: " + stops);
            assertEquals(stops.values().stream().mapToInt(Integer::intValue).sum(), h.preempted.size());
            assertTrue(h.preempted.stream().allMatch(p -> p.startsWith("tier ")), h.preempted.toString());
            for (int seq = 0; seq < 3; seq++) {
                assertEquals(free.exec.finalTokens(seq), h.exec.finalTokens(seq), "sequence " + seq);
            }
        }
    }

    @Test
    void theGenerationStoppedForRoomIsTheNewestUnderTheBoundNeverTheOldest() {
        SimulatedExecutor exec = new SimulatedExecutor(100, 4, 8);
        SequenceCache cache = new SequenceCache(exec, 4, 100);
        Slot[] all = new Slot[4];
        for (int i = 0; i < 4; i++) {
            all[i] = new Slot(i, cache.get(i));
        }
        SlotTable table = new SlotTable(all);
        int[] prompt = tokens(100, 4);
        for (int i = 0; i < 4; i++) {
            GenerationRequest r = GenerationRequest.greedy("g" + i, new Prompt.Tokens(prompt), 10);
            Pending p = new Pending(r, prompt, "", null, new TokenStream("g" + i), 0);
            all[i].begin(new Generation(p, exec.newSampler(r, null), false, 0, 0, table.started()));
        }
        int bound = RoomPolicy.MAX_PREEMPTIONS;
        assertEquals(3, table.preemptionVictim(bound).id, "the newest");
        all[3].gen.preemptions = bound;
        assertEquals(2, table.preemptionVictim(bound).id, "the newest under the bound");
        all[2].gen.preemptions = bound;
        all[1].gen.preemptions = bound - 1;
        assertEquals(1, table.preemptionVictim(bound).id);
        all[1].gen.preemptions = bound;
        assertEquals(3, table.preemptionVictim(bound).id, "all but the oldest at the bound: the newest anyway, rather than a failure");
        all[3].gen.paused = true;
        all[2].gen.paused = true;
        all[1].gen.paused = true;
        assertEquals(null, table.preemptionVictim(bound), "the oldest alone is never stopped");
    }
}
