package dev.parley.server.http;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.time.Duration;

/** Gives each request its {@link BodyReading} and returns the body's memory share when the request ends. */
public final class BodyGuard implements Filter {

    private final BodyBudget budget;
    private final ReadDeadlines deadlines;
    private final Duration bodyTimeout;

    public BodyGuard(BodyBudget budget, ReadDeadlines deadlines, Duration bodyTimeout) {
        this.budget = budget;
        this.deadlines = deadlines;
        this.bodyTimeout = bodyTimeout;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        BodyReading reading = new BodyReading(budget, deadlines, bodyTimeout);
        req.context().register(reading);
        try {
            chain.proceed();
        } finally {
            reading.ended();
            reading.release();
        }
    }
}
