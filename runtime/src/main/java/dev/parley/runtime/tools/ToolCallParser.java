package dev.parley.runtime.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Splits a model's reply into content and tool calls, incrementally: fed the reply's text in pieces as it
 * is generated, it emits {@link ToolCallEvent}s. Text that may be the start of call markup is held back
 * until it is known not to be; markup never reaches content. A reply read whole gives the same result
 * ({@link #parse}). One per reply; not thread-safe.
 *
 * <p>Where markup turns out not to be a call (bad JSON, no name) before any call was announced, its
 * text is content after all. A call cut off by the end of the reply (max_tokens) is dropped, unless its
 * arguments are already complete JSON.
 */
public final class ToolCallParser {

    /** A whole reply: the content (markup removed) and the calls in order. */
    public record Result(String content, List<ToolCall> calls) {}

    private final ToolCallFormat format;
    private final Set<String> toolNames;
    private final Calls calls;
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder allContent = new StringBuilder();
    private final StringBuilder regionText = new StringBuilder();
    private Region region;
    /** Calls complete when the current region opened: a region that completed none may be content after all. */
    private int finishedAtOpen;
    private Consumer<ToolCallEvent> out = e -> { };
    private boolean atStart = true;

    /**
     * @param toolNames the declared tools: a bare JSON object (Llama 3, generic) is a call only when it
     *     names one of them
     */
    public ToolCallParser(ToolCallFormat format, Set<String> toolNames) {
        this(format, toolNames, ToolCallParser::newCallId);
    }

    /** @param ids makes call ids where the model gives none */
    public ToolCallParser(ToolCallFormat format, Set<String> toolNames, Supplier<String> ids) {
        this.format = format;
        this.toolNames = Set.copyOf(toolNames);
        this.calls = new Calls(ids);
    }

    /** Parses a whole reply. */
    public static Result parse(ToolCallFormat format, Set<String> toolNames, String text) {
        ToolCallParser parser = new ToolCallParser(format, toolNames);
        parser.feed(text, e -> { });
        parser.finish(e -> { });
        return new Result(parser.content(), parser.calls());
    }

    /** An OpenAI-style call id: {@code call_} and 24 letters and digits. */
    public static String newCallId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder("call_");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 24; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    /** Feeds the next piece of the reply; events go to {@code out} before this returns. */
    public void feed(String text, Consumer<ToolCallEvent> out) {
        this.out = out;
        calls.output(out);
        for (int i = 0; i < text.length(); i++) {
            accept(text.charAt(i), out);
        }
        emitContent(out);
        calls.flush();
    }

    /** The reply is over: held-back text is content after all; an unfinished call is settled. */
    public void finish(Consumer<ToolCallEvent> out) {
        this.out = out;
        calls.output(out);
        if (region != null) {
            if (calls.open() && calls.started() && completeJson(calls.args())) {
                calls.finish(); // markup cut off after complete arguments: the call stands
            } else if (calls.open() && !calls.started() && calls.count() == finishedAtOpen) {
                content.append(regionText); // never became a call
            } else if (calls.open()) {
                calls.abandon();
            }
            region = null;
        }
        content.append(held);
        held.setLength(0);
        emitContent(out);
    }

    /** The content so far (markup removed). */
    public String content() {
        return allContent.toString();
    }

    /** The calls completed so far. */
    public List<ToolCall> calls() {
        return calls.finished();
    }

    private void accept(char c, Consumer<ToolCallEvent> out) {
        if (region != null) {
            regionText.append(c);
            switch (region.feed(c)) {
                case MORE -> { }
                case DONE -> region = null;
                case DONE_GIVE_BACK -> {
                    String back = region.giveBack();
                    region = null;
                    for (int k = 0; k < back.length(); k++) {
                        accept(back.charAt(k), out);
                    }
                }
                case FAILED -> {
                    region = null;
                    boolean noCall = !calls.started() && calls.count() == finishedAtOpen;
                    calls.abandon();
                    if (noCall) {
                        content.append(regionText); // not markup after all
                    }
                    // otherwise the markup broke off after a call was announced: it is dropped, never shown
                }
            }
            return;
        }
        if (atStart && format.bareJson()) {
            if (Character.isWhitespace(c)) {
                held.append(c);
                return;
            }
            atStart = false;
            if (c == '{') {
                content.append(held);
                held.setLength(0);
                open(new ObjectCallsRegion(calls, null, true, toolNames), "");
                accept(c, out);
                return;
            }
        }
        atStart = false;
        held.append(c);
        for (String opener : format.openers()) {
            if (endsWith(held, opener)) {
                content.append(held, 0, held.length() - opener.length());
                held.setLength(0);
                open(regionFor(opener), opener);
                return;
            }
        }
        int keep = longestOpenerPrefix();
        content.append(held, 0, held.length() - keep);
        held.delete(0, held.length() - keep);
    }

    private void open(Region r, String opener) {
        emitContent(out); // content before the markup goes out before the call's events
        region = r;
        finishedAtOpen = calls.count();
        regionText.setLength(0);
        regionText.append(opener);
    }

    private Region regionFor(String opener) {
        return switch (format) {
            case HERMES -> new ObjectCallsRegion(calls, "</tool_call>", false, null);
            case LLAMA3 -> new ObjectCallsRegion(calls, null, true, null);
            case MISTRAL -> new MistralRegion(calls);
            case DEEPSEEK -> new DeepSeekRegion(calls, opener);
            case GENERIC -> throw new IllegalStateException("the generic format has no markers");
        };
    }

    /** The length of the longest end of {@code held} that is a proper prefix of an opener. */
    private int longestOpenerPrefix() {
        int best = 0;
        String h = held.toString();
        for (String opener : format.openers()) {
            for (int n = Math.min(opener.length() - 1, h.length()); n > best; n--) {
                if (h.regionMatches(h.length() - n, opener, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }

    private static boolean endsWith(StringBuilder s, String suffix) {
        int n = s.length() - suffix.length();
        return n >= 0 && s.indexOf(suffix, n) == n;
    }

    private static boolean completeJson(String text) {
        JsonScanner scanner = new JsonScanner();
        String t = text.strip();
        if (t.isEmpty()) {
            return false;
        }
        for (int i = 0; i < t.length(); i++) {
            JsonScanner.Step step = scanner.feed(t.charAt(i));
            if (step == JsonScanner.Step.ENDED) {
                return i == t.length() - 1;
            }
            if (step != JsonScanner.Step.MORE) {
                return false;
            }
        }
        return false;
    }

    private void emitContent(Consumer<ToolCallEvent> out) {
        if (!content.isEmpty()) {
            String text = content.toString();
            content.setLength(0);
            allContent.append(text);
            out.accept(new ToolCallEvent.Content(text));
        }
    }
}
