package dev.parley.server.http;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;

/**
 * Helidon tells this listener, on the connection's own thread, when a request line has been read and
 * when its headers are complete: in between, the headers must arrive within the timeout. (A request
 * line that trickles in is cut by the idle-connection timeout, which Helidon applies while it waits
 * for one.)
 */
public final class HeaderDeadline implements Http1ConnectionListener {

    private final ReadDeadlines deadlines;
    private final Duration timeout;

    public HeaderDeadline(ReadDeadlines deadlines, Duration timeout) {
        this.deadlines = deadlines;
        this.timeout = timeout;
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        deadlines.arm(timeout);
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        deadlines.disarm();
    }
}
