package dev.parley.runtime.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The consumer's side of one generation: events arrive in order (Started, Pieces, Done or Failed)
 * and {@link #cancel()} frees the slot within one scheduler step. Any thread may read; the scheduler
 * never blocks on a slow reader.
 */
public final class TokenStream {

    private final String requestId;
    private final LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    TokenStream(String requestId) {
        this.requestId = requestId;
    }

    public String requestId() {
        return requestId;
    }

    /** Asks the engine to stop; a Done(CANCELLED) follows unless the generation already ended. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** The next event, waiting for it. */
    public GenerationEvent next() throws InterruptedException {
        return events.take();
    }

    /** The next event, or null after {@code timeoutMillis}. */
    public GenerationEvent poll(long timeoutMillis) throws InterruptedException {
        return events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    void emit(GenerationEvent event) {
        events.add(event);
    }

    /** Everything up to and including the final event (Done or Failed): for tests and batch callers. */
    public List<GenerationEvent> drain(long timeoutMillis) throws InterruptedException {
        List<GenerationEvent> all = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            long left = deadline - System.nanoTime();
            GenerationEvent e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new IllegalStateException("request " + requestId + " did not finish within " + timeoutMillis + " ms; got " + all);
            }
            all.add(e);
            if (e instanceof GenerationEvent.Done || e instanceof GenerationEvent.Failed) {
                return all;
            }
        }
    }
}
