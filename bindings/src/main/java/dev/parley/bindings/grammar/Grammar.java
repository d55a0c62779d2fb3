package dev.parley.bindings.grammar;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A GBNF grammar that llama.cpp can take without ending the process: parsed as llama.cpp parses it
 * and checked for everything that makes llama.cpp throw, abort or recurse without bound (see
 * {@link GrammarChecks}; refuses one that starts too ambiguous, see {@link GrammarState}). The only way to make one is {@link #compile}, and the sampler chain takes
 * only this type, so no unchecked text reaches native code.
 */
public final class Grammar {

    private final String text;
    private final int rules;
    private final GrammarState start;

    private Grammar(String text, int rules, GrammarState start) {
        this.text = text;
        this.rules = rules;
        this.start = start;
    }

    /** Checks {@code text} against {@code vocab} with the default limits; throws {@link GrammarException} naming the problem. */
    public static Grammar compile(String text, GrammarVocab vocab) {
        return compile(text, vocab, GrammarLimits.DEFAULT);
    }

    public static Grammar compile(String text, GrammarVocab vocab, GrammarLimits limits) {
        if (text == null || text.isBlank()) {
            throw new GrammarException("the grammar is empty");
        }
        byte[] utf8 = utf8(text, limits);
        GbnfRules rules = GbnfParser.parse(utf8, vocab, limits);
        GrammarChecks.check(rules, vocab, limits);
        return new Grammar(text, rules.size(), GrammarState.start(rules));
    }

    private static byte[] utf8(String text, GrammarLimits limits) {
        if ((long) text.length() > limits.maxBytes()) {
            throw new GrammarException("the grammar has more than " + limits.maxBytes() + " bytes");
        }
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            throw new GrammarException("the grammar contains a NUL character (at character " + nul + ")");
        }
        ByteBuffer out;
        try {
            out = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            throw new GrammarException("the grammar contains a lone surrogate (text that is not Unicode)");
        }
        if (out.remaining() > limits.maxBytes()) {
            throw new GrammarException("the grammar has more than " + limits.maxBytes() + " bytes");
        }
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    /** The grammar text, exactly as checked. */
    public String text() {
        return text;
    }

    /** A fresh parse state, mirroring the native grammar's, for one generation. */
    public GrammarState newState() {
        return start.copy();
    }

    /** Rules after expansion (groups and repetitions are rules of their own). */
    public int rules() {
        return rules;
    }
}
