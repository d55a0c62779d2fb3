package dev.parley.server.http;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts requests being handled, so that shutdown can wait for every handler to write its last
 * event (a stream's error, a queued request's 503) before the listener and the JVM go away.
 */
public final class InFlight implements Filter {

    private final AtomicInteger running = new AtomicInteger();

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        running.incrementAndGet();
        try {
            chain.proceed();
        } finally {
            running.decrementAndGet();
        }
    }

    /** Waits until no request is being handled, or {@code max} passed; true when none is. */
    public boolean awaitIdle(Duration max) {
        long until = System.nanoTime() + max.toNanos();
        while (running.get() > 0 && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return running.get() == 0;
    }

    public int running() {
        return running.get();
    }
}
