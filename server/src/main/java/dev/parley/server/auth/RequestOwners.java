package dev.parley.server.auth;

import dev.parley.server.api.RequestIds;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which owner each running request belongs to, so that with API keys on the slot table shows a
 * caller only its own request ids. A filter after the key check records every request for as long
 * as it runs.
 */
public final class RequestOwners implements Filter {

    /** Prefixes the OpenAI dialect puts before the request id in its engine request ids. */
    private static final List<String> ID_PREFIXES = List.of("chatcmpl-", "cmpl-");

    private final Map<String, String> owners = new ConcurrentHashMap<>();

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String id = RequestIds.of(req);
        String owner = Caller.of(req).owner();
        owners.put(id, owner);
        try {
            chain.proceed();
        } finally {
            owners.remove(id, owner);
        }
    }

    /** Whether the engine request {@code engineRequestId} was made by {@code owner}. */
    public boolean belongsTo(String engineRequestId, String owner) {
        if (owner.equals(owners.get(engineRequestId))) {
            return true;
        }
        for (String prefix : ID_PREFIXES) {
            if (engineRequestId.startsWith(prefix) && owner.equals(owners.get(engineRequestId.substring(prefix.length())))) {
                return true;
            }
        }
        return false;
    }
}
