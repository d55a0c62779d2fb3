package dev.parley.server.api;

import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.TokenStream;
import dev.parley.server.auth.Caller;
import io.helidon.webserver.http.ServerRequest;

/**
 * Submits a request and waits for its first event, so that the HTTP status is known before any byte
 * of the body: a refusal or a queue timeout becomes the status, a start means 200 and a stream.
 */
record Generation(TokenStream stream, GenerationEvent.Started started) {

    /** The engine refused the request (before or while queued). */
    static final class Refused extends RuntimeException {
        final ErrorCode code;

        Refused(ErrorCode code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /**
     * The response ends early: the client left (a failed write), the thread was interrupted, or a bug.
     * Generation stops in every case; only a bug is rethrown.
     */
    void abandon(Exception e) {
        stream.cancel();
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        } else if (e instanceof RuntimeException r && !ConversationApi.isDisconnect(r)) {
            throw r;
        }
    }

    /**
     * Submits {@code request} with the HTTP request's cache hints: its KV cache is the caller's own
     * (entries are salted by the API key's owner, so one tenant never gets a hit on another's prompt),
     * and an {@code x-session-id} header names its conversation unless the API already did (a thread).
     */
    static Generation start(Engine engine, GenerationRequest request, ServerRequest http) throws InterruptedException {
        GenerationRequest hinted = request.withCacheNamespace(Caller.of(http).owner());
        if (hinted.conversation() == null) {
            // only a hint: a long header is cut rather than refused
            hinted = hinted.withConversation(http.headers().first(Headers.SESSION_ID).map(v -> v.length() > 128 ? v.substring(0, 128) : v)
                    .orElse(null));
        }
        TokenStream stream;
        try {
            stream = engine.submit(hinted);
        } catch (EngineException e) {
            throw new Refused(e.code(), e.getMessage());
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
            case GenerationEvent.Failed f -> throw new Refused(f.code(), f.message());
            case GenerationEvent.Done d -> throw new Refused(ErrorCode.INTERNAL, "the generation ended before it started: " + d.reason());
            case GenerationEvent.Piece p -> throw new IllegalStateException("a piece before the start");
        };
    }
}
