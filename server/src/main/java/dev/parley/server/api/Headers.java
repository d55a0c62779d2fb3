package dev.parley.server.api;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

/** Header names Helidon does not predefine. */
final class Headers {

    static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    /** Names the conversation a request continues: a hint for the KV cache (see docs/api.md). */
    static final HeaderName SESSION_ID = HeaderNames.create("X-Session-Id");

    private Headers() {
    }
}
