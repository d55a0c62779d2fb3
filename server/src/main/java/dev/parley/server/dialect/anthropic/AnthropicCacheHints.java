package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.CacheHint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic's {@code cache_control} marks as KV pins: each marked prefix (the leading template messages it
 * covers, as {@link AnthropicMessages} records them) is kept for the request's longest {@code ttl},
 * 5 minutes unless a mark asks for {@code 1h}. (Anthropic requires 1h marks to come before 5m ones, so a
 * shorter prefix is never kept for less than a longer one; keeping a 5m mark for an hour only keeps more.)
 * The marks were checked by the parser; this only reads them.
 */
final class AnthropicCacheHints {

    static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    static final Duration LONG_TTL = Duration.ofHours(1);

    private AnthropicCacheHints() {}

    static List<CacheHint> of(List<Integer> cachePrefixes, JsonNode body) {
        if (cachePrefixes.isEmpty()) {
            return List.of();
        }
        Duration ttl = asksForLong(body) ? LONG_TTL : DEFAULT_TTL;
        List<CacheHint> out = new ArrayList<>(cachePrefixes.size());
        for (int messages : cachePrefixes) {
            out.add(new CacheHint(messages, ttl));
        }
        return out;
    }

    /** Whether some cache_control in the body (the request's own, a tool's, a block's) has ttl 1h. */
    private static boolean asksForLong(JsonNode node) {
        if (node.isObject()) {
            JsonNode c = node.get("cache_control");
            if (c != null && "1h".equals(c.path("ttl").asText(null))) {
                return true;
            }
            for (JsonNode v : node) {
                if (v.isContainerNode() && asksForLong(v)) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode v : node) {
                if (v.isContainerNode() && asksForLong(v)) {
                    return true;
                }
            }
        }
        return false;
    }
}
