package dev.parley.runtime.engine;

/**
 * A slot as seen from outside, at one moment.
 *
 * @param cachedTokens tokens its KV cache holds (kept after a request ends, for the next turn)
 * @param conversation the conversation whose turn last used it, or null
 * @param heldMillis how much longer it stays reserved for that conversation while other slots are free
 * @param namespace the cache namespace (the API key's owner) of the turn that last used it, or null: who
 *     may see its {@code conversation}
 */
public record SlotInfo(int id, State state, String requestId, int cachedTokens, int generatedTokens, String conversation,
                       long heldMillis, String namespace) {

    public enum State { IDLE, PREFILL, GENERATING }
}
