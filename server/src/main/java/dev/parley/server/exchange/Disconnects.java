package dev.parley.server.exchange;

import java.io.IOException;

/** Helidon reports a closed connection with its own exception types; all of them mean the client left. */
final class Disconnects {

    private Disconnects() {
    }

    static boolean isDisconnect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if (t instanceof IOException || name.contains("ServerConnectionException") || name.contains("SocketWriterException")
                    || name.contains("ClosedChannel")) {
                return true;
            }
        }
        return false;
    }
}
