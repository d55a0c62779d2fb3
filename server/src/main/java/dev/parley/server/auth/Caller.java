package dev.parley.server.auth;

import io.helidon.webserver.http.ServerRequest;

/** Who made a request: the owner of its API key, or the local owner when keys are off. */
public record Caller(String owner) {

    /** The caller the auth filter registered for this request. */
    public static Caller of(ServerRequest req) {
        return req.context().get(Caller.class).orElse(new Caller(ApiKeys.LOCAL_OWNER));
    }
}
