package dev.parley.server.http;

import dev.parley.server.metrics.ParleyMetrics;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Set;

/**
 * Counts the outcome of every generation request in {@code parley_requests_total}, refusals before
 * the engine (400, 401, 413, 415, ...) included; the engine counts the rest.
 */
public final class OutcomeFilter implements Filter {

    /** Every dialect's turn routes (with thread turns, matched below). */
    private static final Set<String> GENERATION_PATHS = Set.of("/api/v1/continue_from_conversation_history",
            "/api/v1/continue_from_raw_prompt", "/api/v1/conversation", "/api/ai/chat", "/api/v1/ui-chat",
            "/v1/chat/completions", "/v1/completions");

    private final ParleyMetrics metrics;

    public OutcomeFilter(ParleyMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!isGeneration(req)) {
            chain.proceed();
            return;
        }
        metrics.httpRequestBegins();
        try {
            chain.proceed();
        } finally {
            metrics.httpRequestAnswered(res.status().code());
        }
    }

    static boolean isGeneration(RoutingRequest req) {
        if (req.prologue().method() != Method.POST) {
            return false;
        }
        String path = req.path().path();
        return GENERATION_PATHS.contains(path) || path.startsWith("/api/v1/conversations/") && path.endsWith("/messages");
    }
}
