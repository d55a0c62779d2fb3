package dev.parley.bindings.grammar;

import static dev.parley.bindings.grammar.GbnfRules.ALT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ALT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ANY;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_NOT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_RNG_UPPER;
import static dev.parley.bindings.grammar.GbnfRules.END;
import static dev.parley.bindings.grammar.GbnfRules.RULE_REF;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN_NOT;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * llama.cpp's grammar state mirrored in Java: the same pushdown stacks ({@code llama_grammar_advance_stack},
 * {@code llama_grammar_accept_token}, partial UTF-8 included), kept in step with the native grammar so
 * that a token is accepted here first. Two things llama.cpp does not survive are then caught before it
 * sees the token: a token that leaves no stack alive (llama.cpp throws "Unexpected empty grammar stack"
 * and the process aborts), and an ambiguous grammar whose live parses multiply with every character
 * (llama.cpp has no bound: 2^n stacks after n characters, which hangs the thread that samples).
 *
 * <p>A stack is a {@code long[]} of element positions, bottom first; a position is the rule id in the
 * high 32 bits and the element index in the low 32. Not thread-safe: one per generation.
 */
public final class GrammarState {

    /** Live parses allowed at once; llama.cpp's per-token work grows with their count. */
    public static final int MAX_STACKS = 256;
    /** Stack expansions allowed per character, so an explosion is stopped while it happens. */
    private static final int MAX_EXPANSIONS = 20_000;

    private final int[][] rules;
    private List<long[]> stacks;
    private int partialValue;
    private int partialRemain;

    private GrammarState(int[][] rules, List<long[]> stacks) {
        this.rules = rules;
        this.stacks = stacks;
    }

    /** The state before any token: the root rule's alternatives, expanded; refuses a grammar too ambiguous from the start. */
    static GrammarState start(GbnfRules g) {
        int[][] rules = g.rules().toArray(int[][]::new);
        GrammarState s = new GrammarState(rules, List.of());
        Set<Key> out = new LinkedHashSet<>();
        int pos = 0;
        int root = g.root();
        while (true) {
            long[] stack = s.isEndOfSequence(root, pos) ? new long[0] : new long[] {position(root, pos)};
            s.advance(stack, out);
            while (!s.isEndOfSequence(root, pos)) {
                pos++;
            }
            if (s.type(root, pos) == ALT) {
                pos++;
            } else {
                break;
            }
        }
        s.stacks = unwrap(out);
        if (s.stacks.size() > MAX_STACKS) {
            throw new GrammarException("the grammar is too ambiguous: it starts with " + s.stacks.size()
                    + " parses at once (at most " + MAX_STACKS + "); factor shared prefixes, e.g. x (\"a\" | \"b\") instead of x \"a\" | x \"b\"");
        }
        return s;
    }

    /** A copy in the same state, for a new generation. */
    public GrammarState copy() {
        GrammarState c = new GrammarState(rules, stacks);
        c.partialValue = partialValue;
        c.partialRemain = partialRemain;
        return c;
    }

    public int liveParses() {
        return stacks.size();
    }

    /** Whether some parse is complete (then end-of-generation tokens are allowed). */
    public boolean complete() {
        for (long[] s : stacks) {
            if (s.length == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Accepts a token as llama.cpp's grammar would ({@code llama_grammar_accept_impl}); throws
     * {@link GrammarException}, leaving the state as it was, where llama.cpp would end the process or
     * the parses would pass {@link #MAX_STACKS}.
     *
     * @param piece the token's bytes as llama.cpp's grammar sees them (special tokens rendered)
     */
    public void accept(int token, byte[] piece, int pieceLength, boolean endOfGeneration) {
        if (endOfGeneration) {
            if (!complete()) {
                throw new GrammarException("the model ended generation where the grammar is not complete");
            }
            return;
        }
        int[] cps = decode(piece, pieceLength);
        int newValue = cps[cps.length - 2];
        int newRemain = cps[cps.length - 1];
        int count = cps.length - 2;
        Set<Key> next = new LinkedHashSet<>();
        for (long[] stack : stacks) {
            if (stack.length == 0) {
                continue;
            }
            long top = stack[stack.length - 1];
            int type = type(top);
            if (type == TOKEN || type == TOKEN_NOT) {
                if ((type == TOKEN) == (value(top) == token)) {
                    long[] popped = Arrays.copyOf(stack, stack.length - 1);
                    advance(pushUnlessEnd(popped, top + 1), next);
                }
            } else {
                Set<Key> current = new LinkedHashSet<>();
                current.add(new Key(stack));
                for (int i = 0; i < count && !current.isEmpty(); i++) {
                    Set<Key> after = new LinkedHashSet<>();
                    for (Key k : current) {
                        acceptChar(k.stack, cps[i], after);
                    }
                    current = after;
                }
                next.addAll(current);
            }
            checkCount(next.size());
        }
        if (next.isEmpty()) {
            throw new GrammarException("the grammar allows no continuation after this token");
        }
        stacks = unwrap(next);
        partialValue = newValue;
        partialRemain = newRemain;
    }

    private void acceptChar(long[] stack, int chr, Set<Key> out) {
        if (stack.length == 0) {
            return;
        }
        long top = stack[stack.length - 1];
        if (type(top) == TOKEN || type(top) == TOKEN_NOT) {
            return;
        }
        long after = matchChar(top, chr);
        if (after >= 0) {
            long[] popped = Arrays.copyOf(stack, stack.length - 1);
            advance(pushUnlessEnd(popped, after), out);
            checkCount(out.size());
        }
    }

    /** llama_grammar_match_char: the position after the class if {@code chr} matches it, else -1. */
    private long matchChar(long pos, int chr) {
        boolean positive = type(pos) == CHAR || type(pos) == CHAR_ANY;
        boolean found = false;
        long p = pos;
        do {
            if (type(p + 1) == CHAR_RNG_UPPER) {
                found = found || (Integer.compareUnsigned(value(p), chr) <= 0 && Integer.compareUnsigned(chr, value(p + 1)) <= 0);
                p += 2;
            } else if (type(p) == CHAR_ANY) {
                found = true;
                p += 1;
            } else {
                found = found || value(p) == chr;
                p += 1;
            }
        } while (type(p) == CHAR_ALT);
        return found == positive ? p : -1;
    }

    /** llama_grammar_advance_stack: expands rule references on top until every stack has a terminal on top (or is empty). */
    private void advance(long[] stack, Set<Key> out) {
        ArrayDeque<long[]> todo = new ArrayDeque<>();
        Set<Key> seen = new HashSet<>();
        todo.push(stack);
        while (!todo.isEmpty()) {
            long[] cur = todo.pop();
            if (!seen.add(new Key(cur))) {
                continue;
            }
            if (seen.size() > MAX_EXPANSIONS) {
                throw tooAmbiguous();
            }
            if (cur.length == 0) {
                out.add(new Key(cur));
                continue;
            }
            long pos = cur[cur.length - 1];
            int type = type(pos);
            if (type == RULE_REF) {
                int rule = value(pos);
                int sub = 0;
                while (true) {
                    long[] next = pushUnlessEnd(Arrays.copyOf(cur, cur.length - 1), pos + 1);
                    next = isEndOfSequence(rule, sub) ? next : push(next, position(rule, sub));
                    todo.push(next);
                    while (!isEndOfSequence(rule, sub)) {
                        sub++;
                    }
                    if (type(rule, sub) == ALT) {
                        sub++;
                    } else {
                        break;
                    }
                }
            } else if (type == CHAR || type == CHAR_NOT || type == CHAR_ANY || type == TOKEN || type == TOKEN_NOT) {
                out.add(new Key(cur));
                checkCount(out.size());
            } else {
                throw new IllegalStateException("grammar stack left on element type " + type + " (llama.cpp aborts here)");
            }
        }
    }

    private void checkCount(int n) {
        if (n > MAX_STACKS) {
            throw tooAmbiguous();
        }
    }

    private static GrammarException tooAmbiguous() {
        return new GrammarException("the grammar is too ambiguous: more than " + MAX_STACKS + " parses are alive at once "
                + "(alternatives that start alike and end differently multiply with every character)");
    }

    /**
     * llama.cpp's decode_utf8 of a piece, continuing the partial character: the code points, then the
     * new partial value and the bytes it still needs (-1 after an invalid sequence).
     */
    private int[] decode(byte[] src, int length) {
        int[] lookup = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
        int[] out = new int[length + 3];
        int n = 0;
        int pos = 0;
        int value = partialValue;
        int remain = partialRemain;
        while (pos < length && src[pos] != 0 && remain > 0) {
            int next = src[pos] & 0xFF;
            if ((next >> 6) != 2) {
                return new int[] {0, -1};
            }
            value = (value << 6) + (next & 0x3F);
            pos++;
            remain--;
        }
        if (partialRemain > 0 && remain == 0) {
            out[n++] = value;
        }
        while (pos < length && src[pos] != 0) {
            int first = src[pos] & 0xFF;
            remain = lookup[first >> 4] - 1;
            if (remain < 0) {
                return new int[] {0, remain};
            }
            int mask = (1 << (7 - remain)) - 1;
            value = first & mask;
            pos++;
            while (pos < length && src[pos] != 0 && remain > 0) {
                value = (value << 6) + (src[pos] & 0x3F);
                pos++;
                remain--;
            }
            if (remain == 0) {
                out[n++] = value;
            }
        }
        out[n++] = value;
        out[n++] = remain;
        return Arrays.copyOf(out, n);
    }

    // ---- positions ----

    private static long position(int rule, int index) {
        return ((long) rule << 32) | index;
    }

    private int type(long pos) {
        return rules[(int) (pos >>> 32)][2 * (int) pos];
    }

    private int value(long pos) {
        return rules[(int) (pos >>> 32)][2 * (int) pos + 1];
    }

    private int type(int rule, int index) {
        return rules[rule][2 * index];
    }

    private boolean isEndOfSequence(int rule, int index) {
        int t = type(rule, index);
        return t == END || t == ALT;
    }

    private long[] pushUnlessEnd(long[] stack, long pos) {
        int t = type(pos);
        return t == END || t == ALT ? stack : push(stack, pos);
    }

    private static long[] push(long[] stack, long pos) {
        long[] out = Arrays.copyOf(stack, stack.length + 1);
        out[stack.length] = pos;
        return out;
    }

    private static List<long[]> unwrap(Set<Key> keys) {
        List<long[]> out = new ArrayList<>(keys.size());
        for (Key k : keys) {
            out.add(k.stack);
        }
        return out;
    }

    /** A stack as a set element. */
    private record Key(long[] stack) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(stack, k.stack);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(stack);
        }
    }
}
