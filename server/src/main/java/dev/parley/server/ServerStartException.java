package dev.parley.server;

/** The server could not start serving (its port is taken, say); the message is one line for the operator. */
public final class ServerStartException extends RuntimeException {

    public ServerStartException(String message) {
        super(message, null, false, false);
    }
}
