package dev.parley.server.threads;

/** The database failed; the message says what was being done. */
public class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(cause == null ? message : message + ": " + cause.getMessage(), cause);
    }
}
