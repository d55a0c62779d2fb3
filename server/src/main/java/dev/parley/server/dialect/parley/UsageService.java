package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import dev.parley.server.credits.Charge;
import dev.parley.server.credits.Credits;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.threads.OwnerUsage;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /api/v1/usage}: the caller's own usage, by its key's owner (no parameter names anyone
 * else's): {@code {"owner", "budget", "credits_used", "credits_remaining", "prompt_tokens",
 * "cached_prompt_tokens", "completion_tokens", "requests"}}; {@code budget} and {@code credits_remaining}
 * are null when the owner has no budget.
 */
public final class UsageService implements Dialect {

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/", ParleyErrors.SHAPE);
        // the exchange's credits, read per request: the endpoints may be built without an exchange (parser tests)
        rules.get("/api/v1/usage", endpoints.handler(ParleyErrors.SHAPE, (in, res) -> usage(endpoints.exchange().credits(), in, res)));
    }

    private static void usage(Credits credits, Incoming in, ServerResponse res) {
        String owner = in.owner();
        OwnerUsage u = credits.usage(owner);
        Long budget = credits.budget(owner);
        Long remaining = Credits.remaining(budget, u);
        ObjectNode body = Json.object().put("owner", owner);
        body.put("budget", budget == null ? null : Charge.credits(budget));
        body.put("credits_used", Charge.credits(u.creditMicros()));
        body.put("credits_remaining", remaining == null ? null : Charge.credits(remaining));
        body.put("prompt_tokens", u.promptTokens()).put("cached_prompt_tokens", u.cachedPromptTokens())
                .put("completion_tokens", u.completionTokens()).put("requests", u.requests());
        Json.send(res, 200, body);
    }
}
