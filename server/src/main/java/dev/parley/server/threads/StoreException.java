package dev.parley.server.threads;

/** The database failed; the message says what was being done. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
