package dev.parley.server.threads;

/**
 * The database could not do its work because its disk is full; nothing of a write was stored. The
 * message names where the data lives, for the operator who has to free space there.
 */
public final class StoreFullException extends StoreException {

    private final String advice;

    public StoreFullException(String what, String location, Throwable cause) {
        super("cannot " + what + ": the disk holding " + location + " is full", cause);
        this.advice = "cannot " + what + ": the disk holding " + location + " is full, so nothing was stored; free space there and retry";
    }

    /** What a client is told (the driver's own text stays in the log). */
    public String advice() {
        return advice;
    }
}
