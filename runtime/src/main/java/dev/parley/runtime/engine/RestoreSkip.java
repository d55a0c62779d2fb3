package dev.parley.runtime.engine;

/**
 * Why a saved state that matched a prompt was not restored. Deciding this before the restore spares
 * the read (from disk, too) and a refusal by llama.cpp; the prompt is then prefilled from what its
 * slot holds.
 */
public enum RestoreSkip {
    /** The context has too few free cells for the state, even with every idle slot emptied: running generations hold them. */
    NO_ROOM,
    /** The state holds more tokens than the slot can (a state saved under a larger slot size). */
    TOO_LONG;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
