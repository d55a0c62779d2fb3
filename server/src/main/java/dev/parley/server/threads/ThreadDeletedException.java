package dev.parley.server.threads;

/** The thread an exchange was to be stored in no longer exists (deleted while the exchange ran). */
public final class ThreadDeletedException extends RuntimeException {

    public ThreadDeletedException(String message) {
        super(message);
    }
}
