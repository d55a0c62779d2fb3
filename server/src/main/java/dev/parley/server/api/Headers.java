package dev.parley.server.api;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

/** Header names Helidon does not predefine. */
public final class Headers {

    public static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");

    private Headers() {
    }
}
