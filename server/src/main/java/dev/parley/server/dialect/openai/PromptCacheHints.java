package dev.parley.server.dialect.openai;

import dev.parley.runtime.engine.CacheHint;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestBody;
import java.time.Duration;
import java.util.List;

/**
 * OpenAI's {@code prompt_cache_key} and {@code prompt_cache_retention}, on chat completions and
 * responses. Either one pins the whole prompt (everything but the reply) in the KV tiers: for 10 minutes
 * ({@code in_memory}, the default: OpenAI keeps such caches 5 to 10 minutes of inactivity) or 24 hours
 * ({@code 24h}). The key also names the request's conversation when nothing else does (no
 * {@code x-session-id}, no stored thread), so requests sharing it keep to one slot and their saved KV.
 *
 * @param key the prompt_cache_key, or null
 * @param hints the pin to ask for, or none
 */
record PromptCacheHints(String key, List<CacheHint> hints) {

    static final java.util.Set<String> FIELDS = java.util.Set.of("prompt_cache_key", "prompt_cache_retention");
    static final Duration IN_MEMORY = Duration.ofMinutes(10);
    static final Duration EXTENDED = Duration.ofHours(24);

    static PromptCacheHints parse(RequestBody b) {
        String key = b.optionalString("prompt_cache_key");
        String retention = b.optionalString("prompt_cache_retention");
        Duration ttl;
        if (retention == null) {
            ttl = IN_MEMORY;
        } else {
            ttl = switch (retention) {
                case "in_memory", "in-memory" -> IN_MEMORY; // in-memory: what openai SDKs sent before they fixed the value
                case "24h" -> EXTENDED;
                default -> throw ApiError.badRequest("prompt_cache_retention", "prompt_cache_retention must be \"in_memory\" or \"24h\", got "
                        + dev.parley.server.api.Echo.text(retention));
            };
        }
        if (key == null && retention == null) {
            return new PromptCacheHints(null, List.of());
        }
        return new PromptCacheHints(key == null || key.isBlank() ? null : headerSafe(key), List.of(CacheHint.wholePrompt(ttl)));
    }

    /**
     * The key as a conversation key, which goes back in the {@code x-session-id} header: as sent when it
     * is 1 to 256 visible ASCII characters, else a digest of it (OpenAI takes any string).
     */
    static String headerSafe(String key) {
        if (key.length() <= 256 && key.chars().allMatch(c -> c > 32 && c < 127)) {
            return key;
        }
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "prompt-cache-" + java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    GenerationOptions applyTo(GenerationOptions options) {
        return hints.isEmpty() ? options : options.withCacheHints(hints);
    }

    /** The conversation key: the dialect's own when it has one, else the prompt_cache_key. */
    String conversation(String dialectKey) {
        return dialectKey != null ? dialectKey : key;
    }
}
