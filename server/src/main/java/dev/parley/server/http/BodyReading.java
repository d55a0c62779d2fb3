package dev.parley.server.http;

import dev.parley.server.api.ApiError;
import io.helidon.webserver.http.ServerRequest;
import java.time.Duration;

/**
 * What reading one request's body may cost: its share of the {@link BodyBudget} (held until the
 * request ends) and a deadline for the upload. The {@link BodyGuard} filter registers one per request;
 * {@code RequestBody.read} uses it.
 */
public final class BodyReading {

    /** For requests that did not pass the filter (tests of the API classes alone): no budget, no deadline. */
    public static final BodyReading UNBOUNDED = new BodyReading(null, null, null);

    private final BodyBudget budget;
    private final ReadDeadlines deadlines;
    private final Duration timeout;
    private int reservedUnits;

    BodyReading(BodyBudget budget, ReadDeadlines deadlines, Duration timeout) {
        this.budget = budget;
        this.deadlines = deadlines;
        this.timeout = timeout;
    }

    public static BodyReading of(ServerRequest req) {
        return req.context().get(BodyReading.class).orElse(UNBOUNDED);
    }

    /** Reserves heap for {@code bytes} more bytes of body: 503 when the server is busy parsing others, 413 when it never could. */
    public void reserve(long bytes) {
        if (budget == null || bytes <= 0) {
            return;
        }
        int units = BodyBudget.units(bytes);
        BodyBudget.Refusal refusal;
        try {
            refusal = budget.reserve(units);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "the server is stopping", null);
        }
        switch (refusal) {
            case NONE -> reservedUnits += units;
            case TOO_LARGE -> throw new ApiError(413, "the request body is larger than this server's parsing memory allows ("
                    + budget.largestBody() + " bytes)", null);
            case BUSY -> throw new ApiError(503, "the server is busy reading other large requests: try again shortly", null); // 503s carry Retry-After
        }
    }

    /** The upload must be complete within the body timeout from now. */
    public void started() {
        if (deadlines != null) {
            deadlines.arm(timeout);
        }
    }

    public void ended() {
        if (deadlines != null) {
            deadlines.disarm();
        }
    }

    void release() {
        if (reservedUnits > 0) {
            budget.release(reservedUnits);
            reservedUnits = 0;
        }
    }
}
