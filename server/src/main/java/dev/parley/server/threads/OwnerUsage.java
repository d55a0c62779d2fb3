package dev.parley.server.threads;

/** What one owner has used so far: requests charged, their tokens, and credits in millionths. */
public record OwnerUsage(String owner, long requests, long promptTokens, long cachedPromptTokens, long completionTokens, long creditMicros) {

    public static OwnerUsage none(String owner) {
        return new OwnerUsage(owner, 0, 0, 0, 0, 0);
    }
}
