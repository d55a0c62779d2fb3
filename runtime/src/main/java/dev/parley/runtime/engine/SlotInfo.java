package dev.parley.runtime.engine;

/** A slot as seen from outside, at one moment. */
public record SlotInfo(int id, State state, String requestId, int cachedTokens, int generatedTokens) {

    public enum State { IDLE, PREFILL, GENERATING }
}
