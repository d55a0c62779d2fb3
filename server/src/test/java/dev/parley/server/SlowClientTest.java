package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/** Clients that are slow or idle cannot hold connections: header, body and idle timeouts, and a connection limit. */
class SlowClientTest {

    private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    @Test
    void slowHeadersSlowBodiesAndIdleConnectionsAreClosed() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--header-timeout", "1", "--body-timeout", "2", "--idle-timeout", "2")) {
            int port = server.server.port();
            // each connection opens when it is used: one left silent meanwhile would be closed by the idle timeout
            try (RawHttp headers = new RawHttp(port)) {
                // one header byte every 200 ms: more than the 1 s header timeout before the headers end
                headers.send("GET /health HTTP/1.1\r\n");
                boolean closedWhileTrickling = false;
                for (int i = 0; i < 25 && !closedWhileTrickling; i++) {
                    try {
                        headers.send("X");
                    } catch (java.io.IOException e) {
                        closedWhileTrickling = true;
                    }
                    Thread.sleep(200);
                }
                assertTrue(closedWhileTrickling || headers.closedWithin(2000), "a connection trickling its headers is closed");
            }
            try (RawHttp body = new RawHttp(port)) {
                // a body that never completes, past the 2 s body timeout
                body.send("POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{\"title\"");
                assertTrue(body.closedWithin(6000), "a connection that stops sending its body is closed");
            }
            try (RawHttp idle = new RawHttp(port)) {
                // keep-alive after an answer, then silence past the 2 s idle timeout
                assertEquals(200, idle.send(HEALTH).read().status());
                assertTrue(idle.closedWithin(8000), "an idle keep-alive connection is closed");
            }
            try (RawHttp closing = new RawHttp(port)) {
                // Connection: close is honoured at once
                assertEquals(200, closing.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").read().status());
                assertTrue(closing.closedWithin(1000), "the server closes after answering Connection: close");
            }
        }
    }

    @Test
    void aConnectionThatNeverSendsAByteIsClosedAtTheIdleTimeoutAndFreesItsPlace() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--max-connections", "1", "--idle-timeout", "2", "--header-timeout", "1")) {
            int port = server.server.port();
            try (RawHttp silent = new RawHttp(port); RawHttp next = new RawHttp(port)) {
                // the silent socket holds the only connection; the next one is served once it is closed (~2 s)
                next.socket.setSoTimeout(10_000);
                next.send(HEALTH);
                assertEquals(200, next.read().status(), "a silent connection does not hold its place for ever");
                assertTrue(silent.closedWithin(1000), "the silent connection was closed");
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitWaitUntilOneCloses() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--max-connections", "2", "--idle-timeout", "60")) {
            int port = server.server.port();
            try (RawHttp first = new RawHttp(port); RawHttp second = new RawHttp(port)) {
                assertEquals(200, first.send(HEALTH).read().status());
                assertEquals(200, second.send(HEALTH).read().status());
                try (RawHttp third = new RawHttp(port)) {
                    third.socket.setSoTimeout(1500);
                    third.send(HEALTH);
                    assertThrows(SocketTimeoutException.class, third::read, "a third connection is not served while two are open");
                    first.close();
                    third.socket.setSoTimeout(5000);
                    assertEquals(200, third.read().status(), "it is served once one closes");
                }
                assertFalse(second.socket.isClosed());
            }
        }
    }
}
