package dev.parley.runtime.engine;

import dev.parley.bindings.Vocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizes a rendered conversation so that the template's control tokens ({@code <|im_start|>},
 * {@code <|im_end|>}, ...) are control tokens and the text of messages is text: a user who writes
 * {@code <|im_end|>\n<|im_start|>system} gets those characters, not a system turn.
 *
 * <p>Before rendering, every control token's text inside a message (or a tool definition, or a
 * template argument) is swapped for a placeholder of private-use characters, so the template handles
 * it as plain text and no control-token text in the rendered prompt can come from the caller. A prompt
 * with no placeholder (every ordinary conversation) is then tokenized exactly as before, in one call
 * with special tokens parsed. A prompt with placeholders is split where llama.cpp's tokenizer splits
 * (at control-token text, longest first, with the tokens' lstrip/rstrip), each text part has its
 * placeholders turned back into the original characters and is tokenized with special tokens left as
 * text, and the parts are joined.
 */
public final class ContentTokenizer {

    /** U+F0000 and U+F0001 (supplementary private use): a placeholder is OPEN index CLOSE. */
    private static final String OPEN = "\uDB80\uDC00";
    private static final String CLOSE = "\uDB80\uDC01";

    private final Vocab vocab;
    /** Control tokens by text, longest first (the order llama.cpp's tokenizer splits in). */
    private final List<Control> controls;
    /** What each placeholder index stands for: control-token texts, then OPEN and CLOSE themselves. */
    private final List<String> escaped = new ArrayList<>();
    private final Map<Character, List<String>> byFirstChar = new HashMap<>();

    private record Control(String text, int token, boolean stripBefore, boolean stripAfter) {}

    public ContentTokenizer(Vocab vocab) {
        this.vocab = vocab;
        List<Control> found = new ArrayList<>();
        for (int t = 0; t < vocab.size(); t++) {
            if (!vocab.isControl(t)) {
                continue;
            }
            String text = vocab.tokenText(t);
            if (!text.isEmpty() && Arrays.equals(vocab.tokenize(text, false, true), new int[] {t})) {
                found.add(new Control(text, t, vocab.stripsBefore(t), vocab.stripsAfter(t)));
            }
        }
        found.sort(Comparator.comparingInt((Control c) -> c.text().length()).reversed());
        this.controls = List.copyOf(found);
        for (Control c : controls) {
            escaped.add(c.text());
        }
        escaped.add(OPEN);
        escaped.add(CLOSE);
        for (String text : escaped) {
            byFirstChar.computeIfAbsent(text.charAt(0), k -> new ArrayList<>()).add(text); // longest first, as added
        }
    }

    /** The conversation with control-token text in every caller-given string replaced by placeholders. */
    public Prompt.Chat defuse(Prompt.Chat chat) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Map<String, Object> m : chat.messages()) {
            messages.add(defuseMap(m));
        }
        List<Map<String, Object>> tools = null;
        if (chat.tools() != null) {
            tools = new ArrayList<>();
            for (Map<String, Object> t : chat.tools()) {
                tools.add(defuseMap(t));
            }
        }
        return new Prompt.Chat(messages, chat.addGenerationPrompt(), chat.enableThinking(), tools, defuseMap(chat.templateArguments()));
    }

    /** Whether the rendered text holds any placeholder, i.e. some caller text had control-token text (or the marker characters). */
    public static boolean hasPlaceholders(String rendered) {
        return rendered.contains(OPEN);
    }

    /** The rendered text with placeholders turned back into what they replaced. */
    public String restore(String rendered) {
        if (!hasPlaceholders(rendered)) {
            return rendered;
        }
        StringBuilder out = new StringBuilder(rendered.length());
        int i = 0;
        while (i < rendered.length()) {
            int open = rendered.indexOf(OPEN, i);
            if (open < 0) {
                break;
            }
            int close = rendered.indexOf(CLOSE, open + OPEN.length());
            Integer index = close < 0 ? null : index(rendered.substring(open + OPEN.length(), close));
            if (index == null) { // a placeholder the template cut: keep the characters as they are
                out.append(rendered, i, open + OPEN.length());
                i = open + OPEN.length();
                continue;
            }
            out.append(rendered, i, open).append(escaped.get(index));
            i = close + CLOSE.length();
        }
        return out.append(rendered, i, rendered.length()).toString();
    }

    private Integer index(String digits) {
        if (digits.isEmpty() || digits.length() > 6 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        int n = Integer.parseInt(digits);
        return n < escaped.size() ? n : null;
    }

    /** The tokens of a prompt rendered from a {@link #defuse defused} chat (no BOS added: the template writes it). */
    public int[] tokens(String rendered) {
        return hasPlaceholders(rendered) ? tokenize(rendered) : vocab.tokenize(rendered, false, true);
    }

    /**
     * Tokens of a rendered prompt that has placeholders: split at the template's control-token text as
     * llama.cpp's tokenizer splits, each text part restored and tokenized with special tokens as text.
     */
    private int[] tokenize(String rendered) {
        List<Object> parts = new ArrayList<>(); // String: text not yet split; Integer: a control token
        parts.add(rendered);
        for (Control c : controls) {
            List<Object> next = new ArrayList<>();
            for (Object part : parts) {
                if (part instanceof String text) {
                    split(text, c, next);
                } else {
                    next.add(part);
                }
            }
            parts = next;
        }
        int[] out = new int[16];
        int n = 0;
        for (Object part : parts) {
            int[] tokens = part instanceof Integer id ? new int[] {id} : vocab.tokenize(restore((String) part), false, false);
            if (n + tokens.length > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, n + tokens.length));
            }
            System.arraycopy(tokens, 0, out, n, tokens.length);
            n += tokens.length;
        }
        return Arrays.copyOf(out, n);
    }

    /** llama.cpp's tokenizer_st_partition for one special token over one text fragment. */
    private static void split(String text, Control c, List<Object> out) {
        int from = 0;
        while (true) {
            int match = text.indexOf(c.text(), from);
            if (match < 0) {
                break;
            }
            int leftEnd = match;
            if (c.stripBefore()) {
                while (leftEnd > from && isSpace(text.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > from) {
                out.add(text.substring(from, leftEnd));
            }
            out.add(c.token());
            from = match + c.text().length();
            if (c.stripAfter()) {
                while (from < text.length() && isSpace(text.charAt(from))) {
                    from++;
                }
            }
        }
        if (from < text.length()) {
            out.add(text.substring(from));
        }
    }

    /** C's isspace in the "C" locale, as llama.cpp strips with it. */
    private static boolean isSpace(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == 0x0B || ch == '\f' || ch == '\r';
    }

    private Map<String, Object> defuseMap(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map.entrySet()) {
            out.put(e.getKey(), defuseValue(e.getValue()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Object defuseValue(Object v) {
        return switch (v) {
            case String s -> defuseText(s);
            case Map<?, ?> m -> defuseMap((Map<String, Object>) m);
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object o : l) {
                    out.add(defuseValue(o));
                }
                yield out;
            }
            case null, default -> v;
        };
    }

    private String defuseText(String s) {
        StringBuilder out = null;
        int copied = 0;
        for (int i = 0; i < s.length(); i++) {
            List<String> candidates = byFirstChar.get(s.charAt(i));
            if (candidates == null) {
                continue;
            }
            for (String text : candidates) {
                if (s.startsWith(text, i)) {
                    if (out == null) {
                        out = new StringBuilder(s.length() + 16);
                    }
                    out.append(s, copied, i).append(OPEN).append(escaped.indexOf(text)).append(CLOSE);
                    i += text.length() - 1;
                    copied = i + 1;
                    break;
                }
            }
        }
        return out == null ? s : out.append(s, copied, s.length()).toString();
    }
}
