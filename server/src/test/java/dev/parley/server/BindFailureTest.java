package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A port that is taken ends the start with one line naming it, instead of a server that serves nothing. */
class BindFailureTest {

    @Test
    void aTakenPortFailsTheStart() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            ServerStartException e = assertThrows(ServerStartException.class,
                    () -> new TestServer("--slots", "1", "--host", "127.0.0.1", "--port", String.valueOf(port)).close());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            assertTrue(e.getMessage().lines().count() == 1);
        }
    }
}
