package dev.parley.runtime.engine;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import java.util.concurrent.TimeUnit;

/**
 * Ends generations: the last text and the usage for one that finished (stop, length, cancelled),
 * the error for one that failed, and the slot back to idle with its cells kept for prefix reuse (or
 * emptied when they cannot be trusted). Scheduler thread only.
 */
final class Finisher {

    private final SequenceCache sequences;
    private final SlotTable slots;
    private final KvMover kv;
    private final Scheduler.Counters counters;
    private final EngineObserver observer;
    private final long holdNanos;

    Finisher(SequenceCache sequences, SlotTable slots, KvMover kv, Scheduler.Counters counters, EngineObserver observer, long holdNanos) {
        this.sequences = sequences;
        this.slots = slots;
        this.kv = kv;
        this.counters = counters;
        this.observer = observer;
        this.holdNanos = holdNanos;
    }

    void finish(Slot s, FinishReason reason, long now) {
        Generation g = s.gen;
        if (reason != FinishReason.CANCELLED) {
            g.filter.push(g.utf8.flush(), s.sink);
            g.filter.finish(s.sink);
        }
        String stopSequence = reason == FinishReason.STOP ? g.filter.matchedStop() : null;
        long enqueued = g.pending.enqueuedNanos();
        long prefillEnd = g.prefillDone == 0 ? now : g.prefillDone;
        GenerationEvent.Usage usage = new GenerationEvent.Usage(g.prompt().length, g.promptCached, g.generated, g.reasoningTokens,
                TimeUnit.NANOSECONDS.toMillis(g.admitted - enqueued),
                TimeUnit.NANOSECONDS.toMillis(prefillEnd - g.admitted),
                TimeUnit.NANOSECONDS.toMillis(now - prefillEnd),
                g.firstToken == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(g.firstToken - enqueued));
        counters.generatedTokens.add(g.generated);
        (reason == FinishReason.CANCELLED ? counters.cancelled : counters.finished).increment();
        observer.requestFinished(reason, g.generated);
        TokenStream stream = g.stream();
        if (g.paused) {
            sequences.forgetParked(s.kv); // its state goes with the generation
            kv.letGo(g);
        }
        slots.ended(s);
        s.release(now);
        s.holdUntilNanos = now + holdNanos;
        stream.emit(new GenerationEvent.Done(reason, usage, stopSequence));
        if (reason != FinishReason.CANCELLED) {
            kv.share(s); // after Done: the client does not wait for the copy
        }
    }

    void fail(Slot s, ErrorCode code, String message) {
        TokenStream stream = s.stream();
        sequences.clear(s.kv); // its cache is in an unknown state
        kv.letGo(s.gen);
        counters.failed.increment();
        observer.requestFailed(code);
        slots.ended(s);
        s.release(System.nanoTime());
        stream.emit(new GenerationEvent.Failed(code, message));
    }

    /** Ends the generations whose clients went away. */
    void dropCancelled() {
        long now = System.nanoTime();
        for (Slot s : slots.all()) {
            if (s.active() && s.stream().isCancelled()) {
                s.nextToken = -1;
                finish(s, FinishReason.CANCELLED, now);
            }
        }
    }
}
