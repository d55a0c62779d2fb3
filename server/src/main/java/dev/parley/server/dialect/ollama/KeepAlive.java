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

    /**
     * The {@code keep_alive} as a duration: null when absent (the server's), negative for ever, zero to unload when
     * the request ends; refused as {@link #check} refuses it.
     */
    static java.time.Duration parse(JsonNode v) {
        check(v);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            return seconds(v.doubleValue());
        }
        String s = v.textValue().strip();
        if (SECONDS.matcher(s).matches()) {
            return seconds(Double.parseDouble(s));
        }
        boolean negative = s.startsWith("-");
        java.util.regex.Matcher part = PART.matcher(s);
        double nanos = 0;
        while (part.find()) {
            double n = Double.parseDouble(part.group(1));
            nanos += n * switch (part.group(2)) {
                case "ns" -> 1;
                case "us", "µs", "μs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
        }
        return negative ? java.time.Duration.ofSeconds(-1) : java.time.Duration.ofNanos((long) nanos);
    }

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");

    private static java.time.Duration seconds(double s) {
        return s < 0 ? java.time.Duration.ofSeconds(-1) : java.time.Duration.ofNanos((long) (s * 1e9));
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
