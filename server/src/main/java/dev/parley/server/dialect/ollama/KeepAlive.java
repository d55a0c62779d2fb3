package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: how long the model stays loaded after the request. Parley's model is
 * loaded for the server's life, so the value changes nothing, but it is checked as Ollama checks it
 * (a client sending nonsense learns so): a number of seconds (negative: forever, 0: unload now), or a
 * duration string as Go writes them ({@code "5m"}, {@code "1h30m"}, {@code "300ms"}, {@code "0"};
 * negative: forever). A string holding a plain number ({@code "-1"}, {@code "300"}) is taken as
 * seconds too, as Ollama's {@code OLLAMA_KEEP_ALIVE} setting reads it.
 */
final class KeepAlive {

    /** Go's {@code time.ParseDuration}: a sign, then one or more decimal numbers each with a unit. */
    private static final Pattern GO_DURATION = Pattern.compile("[-+]?(?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:ns|us|µs|μs|ms|s|m|h))+");
    private static final Pattern SECONDS = Pattern.compile("[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)");

    private KeepAlive() {
    }

    /** Refuses a {@code keep_alive} that Ollama would not take; absent or null is the default (5 minutes). */
    static void check(JsonNode v) {
        if (v == null || v.isNull() || v.isNumber()) {
            return;
        }
        if (v.isTextual()) {
            String s = v.textValue().strip();
            if (GO_DURATION.matcher(s).matches() || SECONDS.matcher(s).matches()) {
                return;
            }
        }
        throw ApiError.badRequest("keep_alive", "keep_alive must be a duration such as \"5m\", \"1h30m\" or \"0\", or a number of "
                + "seconds (negative: keep loaded), got " + Echo.of(v));
    }
}
