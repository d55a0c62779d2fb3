package dev.parley.bindings;

/** A llama.cpp call failed in a way that its return value reports (NULL, a negative count). */
public final class NativeCallException extends RuntimeException {

    public NativeCallException(String message) {
        super(message);
    }
}
