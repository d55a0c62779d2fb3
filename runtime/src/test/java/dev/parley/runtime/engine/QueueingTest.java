package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.chat;
import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.testmodel.TestModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Slots, the wait queue, cancellation and prefix reuse switched off, each on an engine of its own. */
class QueueingTest {

    private static EngineConfig config() {
        return EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2);
    }

    @Test
    void eightRequestsOnFourSlotsAllCompleteAndWaitersStartInArrivalOrder() throws Exception {
        List<String> startOrder = new CopyOnWriteArrayList<>();
        EngineObserver observer = new EngineObserver() {
            @Override
            public void requestStarted(String requestId, int slot, long queueNanos, int promptTokens, int cachedTokens) {
                startOrder.add(requestId);
            }
        };
        try (Engine engine = Engine.start(config().withSlots(4, 4096), observer)) {
            List<TokenStream> streams = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                streams.add(engine.submit(GenerationRequest.greedy("r" + i, chat("Request number " + i + " wants an answer."), 24)));
            }
            for (TokenStream s : streams) {
                List<GenerationEvent> events = s.drain(120_000);
                assertEquals(24, done(events).usage().generatedTokens(), s.requestId());
            }
            assertEquals(List.of("r4", "r5", "r6", "r7"), startOrder.subList(4, 8), "waiters start in arrival order: " + startOrder);
            assertEquals(8, engine.stats().finished());
        }
    }

    @Test
    void aFullQueueAndAWaitTimeoutAreDistinctErrors() throws Exception {
        try (Engine engine = Engine.start(config().withSlots(1, 2048).withQueue(1, Duration.ofMillis(300)))) {
            TokenStream busy = engine.submit(GenerationRequest.greedy("busy", chat("Keep going for a long while."), 1500));
            assertInstanceOf(GenerationEvent.Started.class, busy.next());
            TokenStream waiting = engine.submit(GenerationRequest.greedy("waiting", chat("me next"), 4));
            EngineException full = assertThrows(EngineException.class, () -> engine.submit(GenerationRequest.greedy("third", chat("and me"), 4)));
            assertEquals(ErrorCode.QUEUE_FULL, full.code());
            assertEquals(503, full.code().httpStatus);
            GenerationEvent timedOut = waiting.drain(10_000).getLast();
            assertInstanceOf(GenerationEvent.Failed.class, timedOut);
            assertEquals(ErrorCode.QUEUE_TIMEOUT, ((GenerationEvent.Failed) timedOut).code());
            assertEquals(504, ((GenerationEvent.Failed) timedOut).code().httpStatus);
            busy.cancel();
            assertEquals(FinishReason.CANCELLED, done(busy.drain(10_000)).reason());
        }
    }

    @Test
    void cancellingFreesTheSlotAtOnceAndLeaksNothingOverAHundredCycles() throws Exception {
        try (Engine engine = Engine.start(config().withSlots(2, 2048))) {
            int threadsBefore = Thread.activeCount();
            for (int i = 0; i < 100; i++) {
                TokenStream s = engine.submit(GenerationRequest.greedy("c" + i, chat("Cancel me, cycle " + (i % 7)), 2000));
                GenerationEvent e;
                do {
                    e = s.next();
                } while (!(e instanceof GenerationEvent.Piece));
                s.cancel();
                int piecesAfterCancel = 0;
                while (!((e = s.next()) instanceof GenerationEvent.Done)) {
                    piecesAfterCancel++;
                }
                assertEquals(FinishReason.CANCELLED, ((GenerationEvent.Done) e).reason());
                assertTrue(piecesAfterCancel <= 1, "at most the step in flight may still emit, got " + piecesAfterCancel);
            }
            for (SlotInfo slot : engine.slots()) {
                assertEquals(SlotInfo.State.IDLE, slot.state());
                assertTrue(slot.cachedTokens() < 2048);
            }
            assertEquals(100, engine.stats().cancelled());
            assertEquals(0, engine.stats().activeSlots());
            assertTrue(Thread.activeCount() <= threadsBefore + 1, "threads before " + threadsBefore + ", after " + Thread.activeCount());
            assertEquals(3, done(engine.submit(GenerationRequest.greedy("after", chat("still fine?"), 3)).drain(30_000)).usage().generatedTokens());
        }
    }

    @Test
    void withPrefixReuseOffEverythingIsPrefilled() throws Exception {
        try (Engine engine = Engine.start(config().withSlots(1, 2048).withPrefixReuse(false))) {
            Prompt.Chat first = chat("A conversation that goes on.");
            List<GenerationEvent> t1 = engine.submit(GenerationRequest.greedy("t1", first, 5)).drain(30_000);
            List<GenerationEvent> t2 = engine.submit(GenerationRequest.greedy("t2",
                    chat("A conversation that goes on.", Generations.raw(t1), "Next turn."), 5)).drain(30_000);
            assertEquals(0, started(t2).cachedTokens());
            assertEquals(0, engine.stats().cachedPromptTokens());
        }
    }

    @Test
    void shutdownCancelsWhatIsStillRunningAndRefusesNewWork() throws Exception {
        Engine engine = Engine.start(config().withSlots(1, 2048));
        TokenStream running = engine.submit(GenerationRequest.greedy("long", chat("A long answer please."), 100_000));
        assertInstanceOf(GenerationEvent.Started.class, running.next());
        engine.close(Duration.ofMillis(200));
        assertEquals(FinishReason.CANCELLED, done(running.drain(10_000)).reason());
        EngineException e = assertThrows(EngineException.class, () -> engine.submit(GenerationRequest.greedy("late", chat("hi"), 2)));
        assertEquals(ErrorCode.SHUTTING_DOWN, e.code());
    }

    @Test
    void whenTheSharedCacheRunsOutTheNewestRequestPausesUntilTheOlderEndsAndBothFinish() throws Exception {
        // Two slots share 256 cells; two 100-token prompts that each want 1000 tokens cannot both fit.
        try (Engine engine = Engine.start(config().withSlots(2, 256))) {
            int[] prompt = new int[100];
            java.util.Arrays.fill(prompt, 872);
            TokenStream older = engine.submit(GenerationRequest.greedy("older", new Prompt.Tokens(prompt), 1000));
            assertInstanceOf(GenerationEvent.Started.class, older.next());
            TokenStream newer = engine.submit(GenerationRequest.greedy("newer", new Prompt.Tokens(prompt.clone()), 1000));
            GenerationEvent.Done first = done(older.drain(60_000));
            assertEquals(FinishReason.LENGTH, first.reason(), "the older one runs until its slot is full");
            // 156 decoded into the 156 cells, plus the last one sampled from the final logits
            assertEquals(256 - 100 + 1, first.usage().generatedTokens());
            GenerationEvent.Done second = done(newer.drain(60_000));
            assertEquals(FinishReason.LENGTH, second.reason(), "the newer one was paused, not failed, and resumed when the older ended");
            assertEquals(256 - 100 + 1, second.usage().generatedTokens());
            assertEquals(0, engine.stats().failed());
        }
    }
}
