package dev.parley.runtime.engine;

import java.time.Duration;

/**
 * A client's request to keep a prompt prefix in the KV tiers for a while (OpenAI's
 * {@code prompt_cache_key}, Anthropic's {@code cache_control}).
 *
 * @param messages the prefix: the first this many messages of a chat prompt (0: what the template writes
 *     before any message, such as the tools), or {@link #WHOLE_PROMPT}
 * @param ttl how long the prefix is kept after this request
 */
public record CacheHint(int messages, Duration ttl) {

    /** The prefix is the whole prompt (everything but what the request generates). */
    public static final int WHOLE_PROMPT = -1;

    public CacheHint {
        if (messages < WHOLE_PROMPT) {
            throw new IllegalArgumentException("messages must be >= 0 or WHOLE_PROMPT, got " + messages);
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a cache hint needs a positive ttl");
        }
    }

    public static CacheHint wholePrompt(Duration ttl) {
        return new CacheHint(WHOLE_PROMPT, ttl);
    }
}
