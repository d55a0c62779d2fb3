package dev.parley.server.exchange;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.TokenStream;
import dev.parley.server.api.ApiError;

/**
 * Submits a request and waits for its first event, so that the HTTP status is known before any byte
 * of the body: a refusal or a queue timeout becomes an {@link ApiError}, a start means 200 and a stream.
 */
record Generation(TokenStream stream, GenerationEvent.Started started) {

    /**
     * The response ends early: the client left (a failed write), the thread was interrupted, or a bug.
     * Generation stops in every case; only a bug is rethrown.
     */
    void abandon(Exception e) {
        stream.cancel();
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        } else if (e instanceof RuntimeException r && !Disconnects.isDisconnect(r)) {
            throw r;
        }
    }

    static Generation start(EngineClient engine, GenerationRequest request) throws InterruptedException {
        TokenStream stream;
        try {
            stream = engine.submit(request);
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
        GenerationEvent first;
        try {
            first = stream.next();
        } catch (InterruptedException e) {
            stream.cancel();
            throw e;
        }
        return switch (first) {
            case GenerationEvent.Started s -> new Generation(stream, s);
            case GenerationEvent.Failed f -> throw ApiError.engine(f.code(), f.message());
            case GenerationEvent.Done d -> throw ApiError.engine(ErrorCode.INTERNAL, "the generation ended before it started: " + d.reason());
            case GenerationEvent.Piece p -> throw new IllegalStateException("a piece before the start");
        };
    }
}
