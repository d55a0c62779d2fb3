package dev.parley.server.threads;

/** A message id that names no message of the thread it was given with. */
public final class NoSuchMessageException extends RuntimeException {

    public NoSuchMessageException(String message) {
        super(message);
    }
}
