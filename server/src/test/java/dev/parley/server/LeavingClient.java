package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A client that posts a streaming request, reads until the answer's first piece, and hangs up. */
final class LeavingClient {

    private LeavingClient() {
    }

    /**
     * Posts {@code body} to {@code path}, reads lines until one contains {@code firstPiece} (a marker of
     * the stream's first event), then closes the connection. Headers are name/value pairs.
     */
    static void leaveAfterFirstPiece(TestServer server, String path, String body, String firstPiece, String... headers) throws Exception {
        StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        request.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body);
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.contains(firstPiece)) {
                // status line, headers, chunk sizes
            }
            assertTrue(line != null, "the stream started before the client left");
        }
    }
}
