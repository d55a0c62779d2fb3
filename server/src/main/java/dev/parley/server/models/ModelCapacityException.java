package dev.parley.server.models;

/**
 * A model cannot be loaded now: it would not fit the memory budget even alone, or every loaded model that
 * would have to go is busy. The message carries the numbers (what it needs, what is held, by whom).
 */
public final class ModelCapacityException extends RuntimeException {

    /** True when the model can never fit (a 507-like refusal); false when it could once a busy model goes idle. */
    private final boolean never;

    public ModelCapacityException(String message, boolean never) {
        super(message);
        this.never = never;
    }

    public boolean never() {
        return never;
    }
}
