package dev.parley.runtime.tools;

/**
 * Mistral's calls after {@code [TOOL_CALLS]}: a JSON array of call objects (Mistral Nemo), or
 * {@code name[ARGS]{...}} with an optional {@code [CALL_ID]id} before {@code [ARGS]} (Mistral Small 3.2,
 * Devstral, Ministral).
 */
final class MistralRegion implements Region {
    static final String OPEN = "[TOOL_CALLS]";
    static final String ARGS = "[ARGS]";
    static final String CALL_ID = "[CALL_ID]";
    private static final int MAX_NAME = 256;

    private enum State { START, ARRAY, NAME, ID, ARGS }

    private final Calls calls;
    private final JsonScanner scanner = new JsonScanner();
    private final StringBuilder text = new StringBuilder();
    private State state = State.START;
    private CallObjectReader element;
    private String giveBack = "";

    MistralRegion(Calls calls) {
        this.calls = calls;
    }

    @Override
    public Step feed(char c) {
        switch (state) {
            case START -> {
                if (Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                if (c == '[') {
                    state = State.ARRAY;
                    return Step.MORE;
                }
                calls.begin();
                state = State.NAME;
                return name(c);
            }
            case ARRAY -> {
                return array(c);
            }
            case NAME -> {
                return name(c);
            }
            case ID -> {
                text.append(c);
                if (text.length() > MAX_NAME) {
                    return Step.FAILED;
                }
                if (endsWith(ARGS)) {
                    calls.id(text.substring(0, text.length() - ARGS.length()).strip());
                    startArgs();
                }
                return Step.MORE;
            }
            case ARGS -> {
                return args(c);
            }
        }
        throw new IllegalStateException(state.toString());
    }

    private Step name(char c) {
        text.append(c);
        if (c == '\n' || text.length() > MAX_NAME) {
            return Step.FAILED;
        }
        if (endsWith(ARGS)) {
            calls.name(text.substring(0, text.length() - ARGS.length()).strip());
            startArgs();
        } else if (endsWith(CALL_ID)) {
            calls.name(text.substring(0, text.length() - CALL_ID.length()).strip());
            text.setLength(0);
            state = State.ID;
        }
        return Step.MORE;
    }

    private void startArgs() {
        if (calls.name().isEmpty()) {
            return;
        }
        calls.start();
        scanner.reset();
        state = State.ARGS;
    }

    private Step args(char c) {
        if (!scanner.started() && Character.isWhitespace(c)) {
            return Step.MORE;
        }
        return switch (scanner.feed(c)) {
            case INVALID -> Step.FAILED;
            case MORE -> {
                calls.appendArgs(c);
                yield Step.MORE;
            }
            case ENDED -> {
                calls.appendArgs(c);
                calls.finish();
                yield Step.DONE;
            }
            case ENDED_BEFORE -> {
                calls.finish();
                giveBack = String.valueOf(c);
                yield Step.DONE_GIVE_BACK;
            }
        };
    }

    private Step array(char c) {
        if (element == null) {
            if (Character.isWhitespace(c) || c == ',') {
                return Step.MORE;
            }
            if (c == ']') {
                return Step.DONE;
            }
            element = new CallObjectReader(calls, null);
        }
        return switch (element.feed(c)) {
            case MORE -> Step.MORE;
            case FAILED -> Step.FAILED;
            case DONE -> {
                element = null;
                yield Step.MORE;
            }
        };
    }

    private boolean endsWith(String marker) {
        int n = text.length();
        return n >= marker.length() && text.indexOf(marker, n - marker.length()) >= 0;
    }

    @Override
    public String giveBack() {
        return giveBack;
    }
}
