package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;

/**
 * A dialect's encoder: how one turn's events become bytes. Its parser picks it (with what it parsed:
 * streaming or not, ids, options of the answer); the exchange opens it once the generation has started,
 * the moment the status is known, and the writer it returns keeps that stream's own state.
 */
@FunctionalInterface
public interface WireFormat {

    /** Sets the headers (the status is 200 from here on, unless the writer answers a whole error) and returns the writer. */
    EventWriter open(GenerationEvent.Started started, ServerResponse res) throws IOException;
}
