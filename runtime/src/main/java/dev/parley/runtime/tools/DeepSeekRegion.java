package dev.parley.runtime.tools;

/**
 * DeepSeek's calls: {@code <｜tool▁calls▁begin｜>}, then per call {@code <｜tool▁call▁begin｜>}, and either
 * {@code function<｜tool▁sep｜>NAME\n```json\n{...}\n```} (R1 and its distills) or
 * {@code NAME<｜tool▁sep｜>{...}} (V3.1), then {@code <｜tool▁call▁end｜>}; {@code <｜tool▁calls▁end｜>} closes
 * the list. R1 distills sometimes leave out the outer markers, so a lone call marker also opens a region.
 */
final class DeepSeekRegion implements Region {
    static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    static final String CALLS_END = "<｜tool▁calls▁end｜>";
    static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    static final String CALL_END = "<｜tool▁call▁end｜>";
    static final String SEP = "<｜tool▁sep｜>";
    private static final int MAX_HEAD = 256;

    private enum State { LIST, HEAD, AFTER_SEP, R1_NAME, FENCE, ARGS, TAIL }

    private final Calls calls;
    private final JsonScanner scanner = new JsonScanner();
    private final StringBuilder text = new StringBuilder();
    private State state;
    private String head;
    private String giveBack = "";

    /** @param opener the marker that opened the region: the list's, or a call's */
    DeepSeekRegion(Calls calls, String opener) {
        this.calls = calls;
        if (opener.equals(CALL_BEGIN)) {
            calls.begin();
            state = State.HEAD;
        } else {
            state = State.LIST;
        }
    }

    @Override
    public Step feed(char c) {
        switch (state) {
            case LIST -> {
                if (text.isEmpty() && Character.isWhitespace(c)) {
                    return Step.MORE;
                }
                text.append(c);
                String t = text.toString();
                if (t.equals(CALL_BEGIN)) {
                    text.setLength(0);
                    calls.begin();
                    state = State.HEAD;
                    return Step.MORE;
                }
                if (t.equals(CALLS_END)) {
                    return Step.DONE;
                }
                if (CALL_BEGIN.startsWith(t) || CALLS_END.startsWith(t)) {
                    return Step.MORE;
                }
                // the list ended without its closing marker: what follows is content
                giveBack = t;
                return Step.DONE_GIVE_BACK;
            }
            case HEAD -> {
                text.append(c);
                if (text.length() > MAX_HEAD) {
                    return Step.FAILED;
                }
                if (text.length() >= SEP.length() && text.indexOf(SEP, text.length() - SEP.length()) >= 0) {
                    head = text.substring(0, text.length() - SEP.length()).strip();
                    text.setLength(0);
                    state = State.AFTER_SEP;
                }
                return Step.MORE;
            }
            case AFTER_SEP -> {
                if (c == '{' || c == '[') {
                    // V3.1: the head was the name, the arguments follow the separator
                    calls.name(head);
                    return beginArgs(c);
                }
                state = State.R1_NAME;
                return feed(c);
            }
            case R1_NAME -> {
                if (c == '\n') {
                    String name = text.toString().strip();
                    if (name.isEmpty()) {
                        return Step.FAILED;
                    }
                    calls.name(name);
                    calls.start();
                    text.setLength(0);
                    state = State.FENCE;
                    return Step.MORE;
                }
                text.append(c);
                return text.length() > MAX_HEAD ? Step.FAILED : Step.MORE;
            }
            case FENCE -> {
                if (c == '{' || c == '[') {
                    String fence = text.toString().strip();
                    if (!fence.isEmpty() && !fence.equals("```json") && !fence.equals("```")) {
                        return Step.FAILED;
                    }
                    text.setLength(0);
                    return beginArgs(c);
                }
                text.append(c);
                return text.length() > 16 ? Step.FAILED : Step.MORE;
            }
            case ARGS -> {
                JsonScanner.Step step = scanner.feed(c);
                if (step == JsonScanner.Step.ENDED_BEFORE || step == JsonScanner.Step.INVALID) {
                    return Step.FAILED;
                }
                calls.appendArgs(c);
                if (step == JsonScanner.Step.ENDED) {
                    calls.finish();
                    state = State.TAIL;
                }
                return Step.MORE;
            }
            case TAIL -> {
                // the closing fence (R1) and the call's end marker
                text.append(c);
                if (text.length() >= CALL_END.length() && text.indexOf(CALL_END, text.length() - CALL_END.length()) >= 0) {
                    text.setLength(0);
                    state = State.LIST;
                    return Step.MORE;
                }
                if (text.length() > 32) {
                    giveBack = text.toString();
                    return Step.DONE_GIVE_BACK;
                }
                return Step.MORE;
            }
        }
        throw new IllegalStateException(state.toString());
    }

    private Step beginArgs(char c) {
        calls.start();
        scanner.reset();
        state = State.ARGS;
        return feed(c);
    }

    @Override
    public String giveBack() {
        return giveBack;
    }
}
