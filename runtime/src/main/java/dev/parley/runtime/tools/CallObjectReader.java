package dev.parley.runtime.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;

/**
 * Reads one call written as a JSON object, {@code {"name": ..., "arguments": {...}}} (or
 * {@code "parameters"}, as Llama 3 writes it; an {@code "id"} is kept), streaming the arguments as they
 * arrive. Arguments given as a JSON string holding JSON are unwrapped. Other keys are skipped.
 */
final class CallObjectReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Step { MORE, DONE, FAILED }

    private enum State { START, KEY_OR_END, KEY, COLON, VALUE, AFTER_VALUE }

    private final Calls calls;
    private final Set<String> allowedNames;
    private final JsonScanner scanner = new JsonScanner();
    private final StringBuilder text = new StringBuilder();
    private State state = State.START;
    private String key;
    private boolean keyEscaped;
    private boolean argsAsString;

    /** @param allowedNames when not null, a name outside it means this object is not a call */
    CallObjectReader(Calls calls, Set<String> allowedNames) {
        this.calls = calls;
        this.allowedNames = allowedNames;
        calls.begin();
    }

    Step feed(char c) {
        switch (state) {
            case START -> {
                if (Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                if (c != '{') {
                    return Step.FAILED;
                }
                state = State.KEY_OR_END;
                return Step.MORE;
            }
            case KEY_OR_END -> {
                if (Character.isWhitespace(c) || c == ',') {
                    return Step.MORE;
                }
                if (c == '}') {
                    return end();
                }
                if (c != '"') {
                    return Step.FAILED;
                }
                text.setLength(0);
                keyEscaped = false;
                state = State.KEY;
                return Step.MORE;
            }
            case KEY -> {
                if (keyEscaped) {
                    keyEscaped = false;
                } else if (c == '\\') {
                    keyEscaped = true;
                } else if (c == '"') {
                    key = text.toString();
                    state = State.COLON;
                    return Step.MORE;
                }
                text.append(c);
                return Step.MORE;
            }
            case COLON -> {
                if (Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                if (c != ':') {
                    return Step.FAILED;
                }
                scanner.reset();
                text.setLength(0);
                state = State.VALUE;
                return Step.MORE;
            }
            case VALUE -> {
                if (!scanner.started() && Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                return value(c);
            }
            case AFTER_VALUE -> {
                if (Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                if (c == ',') {
                    state = State.KEY_OR_END;
                    return Step.MORE;
                }
                return c == '}' ? end() : Step.FAILED;
            }
        }
        throw new IllegalStateException(state.toString());
    }

    private boolean isArguments() {
        return key.equals("arguments") || key.equals("parameters");
    }

    private Step value(char c) {
        boolean first = !scanner.started();
        JsonScanner.Step step = scanner.feed(c);
        if (step == JsonScanner.Step.INVALID) {
            return Step.FAILED;
        }
        if (step == JsonScanner.Step.ENDED_BEFORE) {
            // a scalar value ended at this character, which belongs to the object
            Step done = valueEnded();
            if (done != Step.MORE) {
                return done;
            }
            return feed(c);
        }
        if (isArguments()) {
            if (first) {
                argsAsString = c == '"';
            }
            if (argsAsString) {
                text.append(c);
            } else {
                calls.appendArgs(c);
            }
        } else {
            text.append(c);
        }
        return step == JsonScanner.Step.ENDED ? valueEnded() : Step.MORE;
    }

    private Step valueEnded() {
        state = State.AFTER_VALUE;
        String raw = text.toString();
        switch (key) {
            case "name" -> {
                JsonNode name = parse(raw);
                if (name == null || !name.isTextual() || (allowedNames != null && !allowedNames.contains(name.asText()))) {
                    return Step.FAILED;
                }
                calls.name(name.asText());
                calls.start();
            }
            case "id" -> {
                JsonNode id = parse(raw);
                if (id != null && id.isTextual()) {
                    calls.id(id.asText());
                }
            }
            case "arguments", "parameters" -> {
                if (argsAsString) {
                    JsonNode inner = parse(raw);
                    calls.replaceArgs(inner == null ? "{}" : inner.asText());
                }
            }
            default -> { }
        }
        return Step.MORE;
    }

    private Step end() {
        if (calls.name() == null) {
            return Step.FAILED;
        }
        calls.finish();
        return Step.DONE;
    }

    private static JsonNode parse(String raw) {
        try {
            return JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
