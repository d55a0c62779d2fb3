package dev.parley.runtime.tools;

import java.util.Set;

/**
 * Calls written as JSON objects: one object then a closing marker (Hermes/Qwen
 * {@code <tool_call>{...}</tool_call>}), or objects separated by whitespace or {@code ;} with no closing
 * marker (Llama 3 after {@code <|python_tag|>}, or a reply that is only JSON calls).
 */
final class ObjectCallsRegion implements Region {
    private final Calls calls;
    private final Set<String> allowedNames;
    private final String close;
    private final boolean several;
    private CallObjectReader reader;
    private int closeMatched;
    private int count;
    private String giveBack = "";

    /**
     * @param close the closing marker after the object, or null for none
     * @param several whether more objects may follow (only without a closing marker)
     * @param allowedNames when not null, calls must name one of these (for bare JSON, which may be content)
     */
    ObjectCallsRegion(Calls calls, String close, boolean several, Set<String> allowedNames) {
        this.calls = calls;
        this.close = close;
        this.several = several;
        this.allowedNames = allowedNames;
        this.reader = new CallObjectReader(calls, allowedNames);
    }

    @Override
    public Step feed(char c) {
        if (reader != null) {
            return switch (reader.feed(c)) {
                case MORE -> Step.MORE;
                case FAILED -> Step.FAILED;
                case DONE -> {
                    reader = null;
                    count++;
                    yield close == null && !several ? Step.DONE : Step.MORE;
                }
            };
        }
        if (close != null) {
            if (closeMatched == 0 && Character.isWhitespace(c)) {
                return Step.MORE;
            }
            if (c == close.charAt(closeMatched)) {
                return ++closeMatched == close.length() ? Step.DONE : Step.MORE;
            }
            giveBack = close.substring(0, closeMatched) + c;
            return Step.DONE_GIVE_BACK;
        }
        if (Character.isWhitespace(c) || c == ';') {
            return Step.MORE;
        }
        if (c == '{') {
            reader = new CallObjectReader(calls, allowedNames);
            return reader.feed(c) == CallObjectReader.Step.FAILED ? Step.FAILED : Step.MORE;
        }
        giveBack = String.valueOf(c);
        return Step.DONE_GIVE_BACK;
    }

    @Override
    public String giveBack() {
        return giveBack;
    }

    int count() {
        return count;
    }
}
