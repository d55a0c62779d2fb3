package dev.parley.runtime.kv;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The thread that writes entries leaving RAM to disk, apart from both tiers, and the bound on what
 * waits for it: entries on their way are off the RAM tier's books but still in host memory, so at
 * most {@link #limitBytes()} of them may be queued. The queued bytes are guarded by the owner's lock
 * (it offers and completes under it); the thread runs the jobs with no lock held.
 */
final class WriteBack {

    private static final System.Logger LOG = System.getLogger("parley.kv");

    private final ExecutorService thread =
            Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parley-kv-writer").daemon(true).unstarted(r));
    private final long limitBytes;
    private long queuedBytes;

    WriteBack(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    /** The bound for a RAM budget: a quarter of it, at least 256 MiB. */
    static long limitFor(long ramBudgetBytes) {
        return Math.max(256L << 20, ramBudgetBytes / 4);
    }

    long limitBytes() {
        return limitBytes;
    }

    /** Bytes handed to the thread and not written (or given up) yet. */
    long queuedBytes() {
        return queuedBytes;
    }

    /** Whether {@code bytes} more stay within the bound. */
    boolean hasRoom(long bytes) {
        return queuedBytes + bytes <= limitBytes;
    }

    /** Queues a write of {@code bytes} (the caller checked {@link #hasRoom}, or is closing and writes all). */
    void submit(long bytes, Runnable write) {
        queuedBytes += bytes;
        thread.execute(write);
    }

    /** A queued write of {@code bytes} finished, failed or was given up. */
    void done(long bytes) {
        queuedBytes -= bytes;
    }

    /** Waits until every write queued so far is done. For tests and shutdown. */
    void await() {
        try {
            thread.submit(() -> { }).get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "KV writes did not finish: " + e);
        }
    }

    /** Runs what is queued, then stops; gives up on what is left after two minutes. */
    void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(2, TimeUnit.MINUTES)) {
                LOG.log(System.Logger.Level.WARNING, "KV writer did not finish within 2 minutes; some entries are lost");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
