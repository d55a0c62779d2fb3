package dev.parley.server.threads;

/** The thread changed under an exchange (another continuation stored first). */
public final class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
