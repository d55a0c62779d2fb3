package dev.parley.server.modelref;

/** A model reference that cannot be parsed or resolved; the message says what to change, no stack trace needed. */
public final class ModelReferenceException extends IllegalArgumentException {

    public ModelReferenceException(String message) {
        super(message);
    }

    public ModelReferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
