package dev.parley.server.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import dev.parley.server.http.BodyReading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A JSON request body with typed, checked access: every wrong type, missing field, out-of-range value
 * or unknown field becomes a 400 that names the field.
 */
public final class RequestBody {

    private final ObjectNode root;

    private RequestBody(ObjectNode root) {
        this.root = root;
    }

    /**
     * Reads and parses the body, refusing more than {@code maxBytes}. The body's share of the parsing
     * memory budget is taken first and the upload must finish within the body timeout (both from the
     * request's {@link BodyReading}).
     */
    public static RequestBody read(ServerRequest req, long maxBytes) {
        BodyReading reading = BodyReading.of(req);
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxBytes) {
            if (declared <= DISCARD_FACTOR * maxBytes) {
                discard(req, reading, declared);
            }
            throw new ApiError(413, "the request body is larger than " + maxBytes + " bytes", null);
        }
        try {
            reading.reserve(declared);
        } catch (ApiError refused) {
            discard(req, reading, maxBytes);
            throw refused;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(declared >= 0 ? (int) declared : 8192);
        reading.started();
        try (InputStream in = req.content().inputStream()) {
            byte[] chunk = new byte[64 * 1024];
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (body.size() + (long) n > maxBytes) {
                    drop(in, (DISCARD_FACTOR - 1) * maxBytes);
                    throw new ApiError(413, "the request body is larger than " + maxBytes + " bytes", null);
                }
                if (declared < 0) {
                    reading.reserve(n); // chunked: the size shows as it arrives
                }
                body.write(chunk, 0, n);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ApiError(400, "could not read the request body: the connection failed", null);
        } catch (ApiError e) {
            throw e;
        } catch (RuntimeException e) {
            // Helidon reports bad chunk sizes and the like as runtime exceptions whose text is not for the client
            throw new ApiError(400, "could not read the request body: its framing (Content-Length or chunked encoding) is malformed", null);
        } finally {
            reading.ended();
        }
        return parse(body.toByteArray());
    }

    /** A refused body up to this many times the route's limit is read and dropped; a larger one is cut off. */
    private static final long DISCARD_FACTOR = 4;

    /**
     * Reads a refused body (at most {@code limit} bytes, within the body timeout) and drops it, so that
     * the refusal reaches the client: a server that closes with unread bytes in its socket sends a
     * reset, which can destroy the response before the client has read it.
     */
    private static void discard(ServerRequest req, BodyReading reading, long limit) {
        reading.started();
        try (InputStream in = req.content().inputStream()) {
            drop(in, limit);
        } catch (IOException | RuntimeException e) {
            // the client went away or framed the body badly: the refusal stands either way
        } finally {
            reading.ended();
        }
    }

    /** Reads and drops up to {@code limit} bytes; nothing is kept, so the memory budget does not apply. */
    private static void drop(InputStream in, long limit) {
        byte[] chunk = new byte[16 * 1024];
        try {
            long left = limit;
            int n;
            while (left > 0 && (n = in.read(chunk, 0, (int) Math.min(chunk.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            // as in discard: the refusal stands
        }
    }

    public static RequestBody parse(byte[] body) {
        if (body.length == 0) {
            throw new ApiError(400, "the request body is empty: send a JSON object", null);
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new ApiError(400, "the request body is not valid JSON: " + Echo.text(e.getOriginalMessage()), null);
        } catch (IOException e) {
            throw new ApiError(400, "could not read the request body", null);
        } catch (NumberFormatException e) {
            // Jackson throws this, not a JacksonException, for a number it cannot represent (found by the fuzzer).
            throw new ApiError(400, "the request body has a number out of range: " + Echo.text(e.getMessage()), null);
        }
        if (!(node instanceof ObjectNode o)) {
            throw new ApiError(400, "the request body must be a JSON object", null);
        }
        TextChecks.refuseLoneSurrogates(o, "");
        return new RequestBody(o);
    }

    public ObjectNode root() {
        return root;
    }

    /** The union of field-name sets, for {@link #onlyFields}. */
    @SafeVarargs
    public static Set<String> fields(Set<String>... sets) {
        Set<String> all = new java.util.HashSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return Set.copyOf(all);
    }

    /** Refuses fields outside {@code known}. */
    public void onlyFields(Set<String> known) {
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiError.badRequest(Echo.text(f), "unknown field '" + Echo.text(f) + "'; known fields: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
        }
    }

    public boolean has(String name) {
        JsonNode v = root.get(name);
        return v != null && !v.isNull();
    }

    public JsonNode get(String name) {
        return root.get(name);
    }

    public boolean bool(String name, boolean dflt) {
        Boolean b = optionalBool(name);
        return b == null ? dflt : b;
    }

    public Boolean optionalBool(String name) {
        if (!has(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isBoolean()) {
            throw ApiError.badRequest(name, "field '" + name + "' must be true or false, got " + Echo.of(v));
        }
        return v.booleanValue();
    }

    public Integer optionalInt(String name, long min, long max) {
        if (!has(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isIntegralNumber() && !(v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0)) {
            throw ApiError.badRequest(name, "field '" + name + "' must be a whole number, got " + Echo.of(v));
        }
        if (!v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiError.badRequest(name, "field '" + name + "' must be between " + min + " and " + max + ", got " + Echo.of(v));
        }
        return (int) v.longValue();
    }

    public Long optionalLong(String name, long min, long max) {
        if (!has(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiError.badRequest(name, "field '" + name + "' must be a whole number between " + min + " and " + max + ", got " + Echo.of(v));
        }
        return v.longValue();
    }

    public Float optionalFloat(String name, double min, double max) {
        if (!has(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isNumber()) {
            throw ApiError.badRequest(name, "field '" + name + "' must be a number, got " + Echo.of(v));
        }
        double d = v.doubleValue();
        if (d < min || d > max) {
            throw ApiError.badRequest(name, "field '" + name + "' must be between " + min + " and " + max + ", got " + Echo.of(v));
        }
        return (float) d;
    }

    public String optionalString(String name) {
        if (!has(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isTextual()) {
            throw ApiError.badRequest(name, "field '" + name + "' must be a string, got " + Echo.of(v));
        }
        return v.textValue();
    }

    /** A list of strings; {@code allowSingle} also takes one string (OpenAI's stop). */
    public List<String> optionalStrings(String name, boolean allowSingle, int maxItems) {
        if (!has(name)) {
            return List.of();
        }
        JsonNode v = root.get(name);
        if (allowSingle && v.isTextual()) {
            if (v.textValue().isEmpty()) {
                throw ApiError.badRequest(name, "field '" + name + "' must not be an empty string");
            }
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw ApiError.badRequest(name, "field '" + name + "' must be a list of strings" + (allowSingle ? " or a string" : "") + ", got " + Echo.of(v));
        }
        if (v.size() > maxItems) {
            throw ApiError.badRequest(name, "field '" + name + "' may hold at most " + maxItems + " strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual() || item.textValue().isEmpty()) {
                throw ApiError.badRequest(name, "field '" + name + "' must hold non-empty strings, got " + Echo.of(item));
            }
            out.add(item.textValue());
        }
        return out;
    }
}
