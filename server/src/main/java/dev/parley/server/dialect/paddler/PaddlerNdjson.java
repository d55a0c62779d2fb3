package dev.parley.server.dialect.paddler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.parley.ParleyErrors;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.WireFormat;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Paddler's newline-delimited JSON, one line flushed per piece: {"Response": {"request_id", "response":
 * {"GeneratedToken": {"generated_token_result": {"Token": "..."} or "Done", "slot"}}}}; a failure is
 * Parley's error body as the last line. Pieces go out raw, thinking markers included, as Paddler sends them.
 */
public record PaddlerNdjson(String requestId) implements WireFormat {

    @Override
    public EventWriter open(GenerationEvent.Started started, ServerResponse res) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        return new Writer(res.outputStream(), started.slot());
    }

    private final class Writer implements EventWriter {
        private final OutputStream out;
        private final int slot;

        Writer(OutputStream out, int slot) {
            this.out = out;
            this.slot = slot;
        }

        @Override
        public void piece(GenerationEvent.Piece p) throws IOException {
            if (!p.raw().isEmpty()) {
                write(Json.object().put("Token", p.raw()));
            }
        }

        @Override
        public void done(GenerationEvent.Done d, String messageId) throws IOException {
            write(TextNode.valueOf("Done"));
            out.close();
        }

        @Override
        public void failed(ApiError e) throws IOException {
            out.write(Json.line(ParleyErrors.SHAPE.body(requestId, e)));
            out.close();
        }

        private void write(JsonNode result) throws IOException {
            ObjectNode line = Json.object();
            ObjectNode response = line.putObject("Response");
            response.put("request_id", requestId);
            ObjectNode token = response.putObject("response").putObject("GeneratedToken");
            token.set("generated_token_result", result);
            token.put("slot", slot);
            out.write(Json.line(line));
            out.flush();
        }
    }
}
