package dev.parley.server.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Deadlines for reading from a client: a thread arms one before it reads request headers or a body
 * and disarms it after. A watchdog interrupts threads that are still reading past their deadline;
 * an interrupted virtual thread's socket read fails and its socket closes, so a client that sends a
 * byte now and then (slowloris) cannot hold a connection for longer than the deadline.
 */
public final class ReadDeadlines implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.http");

    private final Map<Thread, Long> deadlines = new ConcurrentHashMap<>();
    private final Thread watchdog;
    private volatile boolean running = true;

    public ReadDeadlines(Duration checkEvery) {
        watchdog = Thread.ofPlatform().daemon(true).name("parley-read-deadlines").start(() -> watch(checkEvery.toMillis()));
    }

    /** The current thread must finish its read within {@code timeout}. */
    public void arm(Duration timeout) {
        deadlines.put(Thread.currentThread(), System.nanoTime() + timeout.toNanos());
    }

    public void disarm() {
        deadlines.remove(Thread.currentThread());
    }

    private void watch(long periodMillis) {
        while (running) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Map.Entry<Thread, Long> e : deadlines.entrySet()) {
                if (now - e.getValue() > 0 && deadlines.remove(e.getKey(), e.getValue())) {
                    LOG.log(System.Logger.Level.INFO, "closing a connection whose client was too slow to send its request");
                    e.getKey().interrupt();
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        watchdog.interrupt();
    }
}
