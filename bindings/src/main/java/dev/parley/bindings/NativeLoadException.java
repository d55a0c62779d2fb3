package dev.parley.bindings;

/** The llama.cpp natives could not be found or loaded; the message says what to do. */
public final class NativeLoadException extends RuntimeException {

    public NativeLoadException(String message) {
        super(message);
    }

    public NativeLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
