package dev.parley.server.dialect;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.Header;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.ServerResponseTrailers;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A response that records status, headers and body bytes, for testing a writer without a server or a model. */
public final class RecordingResponse implements ServerResponse {

    public final Map<String, String> headers = new LinkedHashMap<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private Status status = Status.OK_200;
    private boolean sent;
    /** The status when the first body byte went out (what the client saw). */
    private Status committed;

    public String body() {
        return body.toString(StandardCharsets.UTF_8);
    }

    int committedStatus() {
        return (committed != null ? committed : status).code();
    }

    @Override
    public ServerResponse status(Status s) {
        status = s;
        return this;
    }

    @Override
    public Status status() {
        return status;
    }

    @Override
    public ServerResponse header(Header h) {
        headers.put(h.name().toLowerCase(java.util.Locale.ROOT), h.get());
        return this;
    }

    @Override
    public void send(byte[] bytes) {
        committed = status;
        body.writeBytes(bytes);
        sent = true;
    }

    @Override
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                committed = committed != null ? committed : status;
                body.write(b);
            }

            @Override
            public void close() {
                sent = true;
            }
        };
    }

    @Override
    public boolean isSent() {
        return sent;
    }

    @Override
    public long bytesWritten() {
        return body.size();
    }

    @Override
    public void send() {
        send(new byte[0]);
    }

    @Override
    public void send(Object entity) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponse whenSent(Runnable r) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponse reroute(String path) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponse reroute(String path, UriQuery query) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponse next() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponseHeaders headers() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerResponseTrailers trailers() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void streamResult(String result) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void streamFilter(UnaryOperator<OutputStream> filter) {
        throw new UnsupportedOperationException();
    }
}
