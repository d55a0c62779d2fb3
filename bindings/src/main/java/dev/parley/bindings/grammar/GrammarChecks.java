package dev.parley.bindings.grammar;

import static dev.parley.bindings.grammar.GbnfRules.CHAR;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ALT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_ANY;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_NOT;
import static dev.parley.bindings.grammar.GbnfRules.CHAR_RNG_UPPER;
import static dev.parley.bindings.grammar.GbnfRules.RULE_REF;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN;
import static dev.parley.bindings.grammar.GbnfRules.TOKEN_NOT;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The checks that keep a parsed grammar from ending the process inside llama.cpp.
 *
 * <p>llama.cpp throws "Unexpected empty grammar stack" (a C++ exception no caller can catch: the
 * process aborts) when a sampled token leaves no parse alive. Sampling picks a token the grammar
 * allows whenever there is one, so that happens exactly when, at some point of generation, the grammar
 * allows no token at all. After llama.cpp expands its stacks, every live stack is either finished (then
 * the end-of-generation tokens are allowed) or has a terminal on top. So if every terminal can be
 * matched by some token, some token is always allowed, and accepting an allowed token always leaves a
 * stack alive. Hence: every character class must contain a character the vocabulary can spell (with
 * byte-level tokens, any character: a token that ends mid-character is allowed when some completion
 * fits, and the next byte tokens complete it), every {@code <token>} must be one that sampling can pick
 * (not an end-of-generation token, whose only role is to end a finished grammar; not a token with no
 * text or a partial character), and the vocabulary must have an end-of-generation token.
 *
 * <p>The other ways llama.cpp fails are recursion and work without bound: its left-recursion check
 * recurses along rules that start with other rules (a chain of 20,000 rules overflows the native
 * stack) and re-walks shared rules without memory (2^n steps for n rules that each start with the next
 * twice); expanding a left-recursive rule loops forever, and llama.cpp's own check misses left
 * recursion through rules that are empty only indirectly. So: no left recursion (through any nullable
 * prefix), a bounded chain of rules at rule starts, a bounded count of the steps llama.cpp's check
 * takes; and rules that can never finish are refused as the mistakes they are.
 *
 * <p>llama.cpp's sampler also does work without bound on grammars whose stacks stay few: to filter the
 * vocabulary it follows, character by character of each token, every way the characters can be
 * split among the parts that may take them, with no memory. Optional or repeated parts in a row that can
 * take the same character ({@code x*{32}}, {@code a? a? a? a? a?}) give C(L+k-1, k-1) ways for a token
 * of L characters and k such parts: hours per token for k = 32. So: at no point of the grammar may more
 * than {@link #MAX_WAYS} parts be able to take the same next character.
 */
final class GrammarChecks {

    /** The highest Unicode code point. */
    private static final long MAX_CODE_POINT = 0x10FFFF;
    /** Steps (rule elements visited) llama.cpp's left-recursion check may take. */
    private static final long MAX_CHECK_STEPS = 5_000_000;
    /**
     * Parts that may take the same next character at one point. Measured on the 152k-token test model,
     * the first sampled token of {@code [^a]*{k}}: 110 ms for k = 4, 180 ms for 5, 420 ms for 6, and
     * growing about 2.5 times per part from there.
     */
    static final int MAX_WAYS = 4;
    /**
     * Repetitions one run of the same character may pass through ({@link Runs}): a token of L such
     * characters splits among k of them in about C(L, k) ways, each of which llama.cpp follows.
     */
    static final int MAX_RUN_REPEATS = 4;
    /** Character buckets of the ambiguity check: ASCII one by one, and every other character as one. */
    private static final int BUCKETS = 129;
    /** The buckets in the order a refusal looks for one to name: printable ASCII first, control characters last. */
    private static final int[] SHOWN_ORDER = java.util.stream.IntStream.concat(java.util.stream.IntStream.rangeClosed(32, 128),
            java.util.stream.IntStream.range(0, 32)).toArray();

    private final GbnfRules g;
    private final GrammarVocab vocab;
    private final GrammarLimits limits;
    /** Code points some token sequence can spell, as sorted disjoint intervals [lo, hi]. */
    private final long[][] producible;

    private GrammarChecks(GbnfRules g, GrammarVocab vocab, GrammarLimits limits) {
        this.g = g;
        this.vocab = vocab;
        this.limits = limits;
        this.producible = producible(vocab.singleByteTokens());
    }

    static void check(GbnfRules g, GrammarVocab vocab, GrammarLimits limits) {
        new GrammarChecks(g, vocab, limits).run();
    }

    private void run() {
        if (!vocab.hasEndOfGeneration()) {
            throw new GrammarException("this model has no end-of-generation token, so a grammar could never let generation end");
        }
        for (int id = 0; id < g.size(); id++) {
            checkTerminals(id);
        }
        Alternatives alts = new Alternatives(g);
        boolean[] nullable = alts.nullable();
        boolean[] productive = alts.productive();
        for (int id = 0; id < g.size(); id++) {
            if (!productive[id]) {
                throw new GrammarException(capitalized(g.describe(id)) + " can never finish: every alternative of it "
                        + "refers back to it (or to rules that never finish); give it an alternative that ends");
            }
        }
        checkLeftRecursion(alts, nullable);
        new Ambiguity(g, alts, nullable).check();
        new Runs(g, alts).check();
    }

    // ---- terminals ----

    private void checkTerminals(int id) {
        int[] r = g.rules().get(id);
        int n = r.length / 2;
        for (int i = 0; i < n; ) {
            int type = r[2 * i];
            if (type == CHAR || type == CHAR_NOT || type == CHAR_ANY) {
                i = checkCharClass(id, r, i);
            } else {
                if (type == TOKEN || type == TOKEN_NOT) {
                    checkToken(id, type, r[2 * i + 1]);
                }
                i++;
            }
        }
    }

    /** Checks the class starting at element {@code i} (read as llama_grammar_match_char reads it); returns the next element. */
    private int checkCharClass(int id, int[] r, int i) {
        boolean positive = r[2 * i] != CHAR_NOT;
        boolean any = false;
        List<long[]> ranges = new ArrayList<>();
        int k = i;
        do {
            long lo = Integer.toUnsignedLong(r[2 * k + 1]);
            if (r[2 * k + 2] == CHAR_RNG_UPPER) {
                long hi = Integer.toUnsignedLong(r[2 * k + 3]);
                if (lo > hi) {
                    throw new GrammarException("the range " + GrammarText.codePoint(lo) + "-" + GrammarText.codePoint(hi) + " in "
                            + g.describe(id) + " is reversed, so it matches nothing");
                }
                checkCodePoint(id, hi);
                ranges.add(new long[] {lo, hi});
                k += 2;
            } else if (r[2 * k] == CHAR_ANY) {
                any = true;
                k += 1;
            } else {
                checkCodePoint(id, lo);
                if (positive && (lo == 0 || (lo >= 0xD800 && lo <= 0xDFFF))) {
                    throw new GrammarException(GrammarText.codePoint(lo) + " in " + g.describe(id) + (lo == 0
                            ? " is NUL, which llama.cpp can never match" : " is a lone surrogate, not a character"));
                }
                ranges.add(new long[] {lo, lo});
                k += 1;
            }
        } while (r[2 * k] == CHAR_ALT);
        boolean satisfiable = any ? producible.length > 0 : positive ? intersects(ranges) : !covers(ranges);
        if (!satisfiable) {
            throw new GrammarException("a character class in " + g.describe(id)
                    + " matches no character this model can generate" + (positive ? "" : " (it excludes them all)"));
        }
        return k;
    }

    private void checkCodePoint(int id, long cp) {
        if (cp > MAX_CODE_POINT) {
            throw new GrammarException(GrammarText.codePoint(cp) + " in " + g.describe(id) + " is beyond U+10FFFF, not a Unicode character");
        }
    }

    private boolean intersects(List<long[]> ranges) {
        for (long[] r : ranges) {
            for (long[] u : producible) {
                if (r[0] <= u[1] && u[0] <= r[1]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the ranges cover every producible code point. */
    private boolean covers(List<long[]> ranges) {
        long[][] sorted = ranges.toArray(long[][]::new);
        Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
        for (long[] u : producible) {
            long next = u[0]; // the lowest code point of u not yet covered
            for (long[] r : sorted) {
                if (r[0] <= next && r[1] >= next) {
                    next = r[1] + 1;
                }
            }
            if (next <= u[1]) {
                return false;
            }
        }
        return true;
    }

    /**
     * With a token for every byte, every character is spelled by single-byte tokens (llama.cpp lets a
     * token end mid-character when some completion fits). Otherwise only the ASCII characters that
     * have a token of their own are certain.
     */
    private static long[][] producible(BitSet singleBytes) {
        if (singleBytes.nextClearBit(1) > 0xFF) {
            return new long[][] {{1, 0xD7FF}, {0xE000, MAX_CODE_POINT}};
        }
        List<long[]> out = new ArrayList<>();
        for (int b = singleBytes.nextSetBit(1); b >= 0 && b < 0x80; b = singleBytes.nextSetBit(b + 1)) {
            out.add(new long[] {b, b});
        }
        return out.toArray(long[][]::new);
    }

    // ---- tokens ----

    private void checkToken(int id, int type, int token) {
        if (token < 0 || token >= vocab.size()) {
            throw new GrammarException("token id " + Integer.toUnsignedString(token) + " in " + g.describe(id)
                    + " is not in the vocabulary (ids 0.." + (vocab.size() - 1) + ")");
        }
        if (type == TOKEN_NOT) {
            return; // any other token matches: the single-byte tokens at least
        }
        byte[] piece = vocab.piece(token);
        String shown = "token " + token + " ('" + GrammarText.printable(new String(piece, java.nio.charset.StandardCharsets.UTF_8)) + "')";
        if (vocab.isEndOfGeneration(token)) {
            throw new GrammarException(shown + " in " + g.describe(id) + " ends generation, so sampling never picks it inside a grammar: "
                    + "end the rule there instead (generation ends when the grammar is complete)");
        }
        if (piece.length == 0 || piece[0] == 0) {
            throw new GrammarException(shown + " in " + g.describe(id) + " has no text, so the grammar can never match it");
        }
        if (!wholeCharacters(piece)) {
            throw new GrammarException(shown + " in " + g.describe(id) + " is not whole UTF-8 characters, so the grammar can never match it");
        }
    }

    /** Whether llama.cpp's decode_utf8 reads the bytes (up to a NUL) as whole characters, with none invalid or cut. */
    private static boolean wholeCharacters(byte[] piece) {
        int[] lookup = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
        int pos = 0;
        while (pos < piece.length && piece[pos] != 0) {
            int remain = lookup[(piece[pos] & 0xFF) >> 4] - 1;
            if (remain < 0) {
                return false;
            }
            pos++;
            while (pos < piece.length && piece[pos] != 0 && remain > 0) {
                pos++;
                remain--;
            }
            if (remain > 0) {
                return false;
            }
        }
        return true;
    }

    // ---- left recursion, and what llama.cpp's check of it costs ----

    /**
     * Rule A "starts with" rule B when B appears in an alternative of A after only nullable rules.
     * A cycle of such edges is left recursion. llama.cpp's check recurses along these edges (along the
     * subset it sees: it counts a rule as nullable only when an alternative is empty as written) and
     * re-walks a rule each time it meets it, so its depth is the longest path here and its work is
     * the sum over paths.
     */
    private void checkLeftRecursion(Alternatives alts, boolean[] nullable) {
        int n = g.size();
        int[][] starts = alts.startingRefs(nullable);
        int[] state = new int[n]; // 0 unseen, 1 on the path, 2 done
        int[] depth = new int[n];
        long[] work = new long[n];
        int[] path = new int[n];
        int[] edge = new int[n];
        for (int root = 0; root < n; root++) {
            if (state[root] != 0) {
                continue;
            }
            int top = 0;
            path[0] = root;
            edge[0] = 0;
            state[root] = 1;
            while (top >= 0) {
                int v = path[top];
                if (edge[top] < starts[v].length) {
                    int w = starts[v][edge[top]++];
                    if (state[w] == 1) {
                        throw new GrammarException(leftRecursion(path, top, w));
                    }
                    if (state[w] == 0) {
                        state[w] = 1;
                        path[++top] = w;
                        edge[top] = 0;
                    }
                    continue;
                }
                int d = 0;
                long steps = g.rules().get(v).length / 2;
                for (int w : starts[v]) {
                    d = Math.max(d, depth[w]);
                    steps = Math.min(MAX_CHECK_STEPS + 1, steps + work[w]);
                }
                depth[v] = d + 1;
                work[v] = steps;
                if (depth[v] > limits.maxLeftChain()) {
                    throw new GrammarException("rules start with rules " + depth[v] + " deep from " + g.describe(v) + " (at most "
                            + limits.maxLeftChain() + "): start some of them with a character instead");
                }
                if (work[v] > MAX_CHECK_STEPS) {
                    throw new GrammarException(capitalized(g.describe(v)) + " starts with other rules along too many paths (more than "
                            + MAX_CHECK_STEPS + " steps for llama.cpp's left-recursion check): share fewer rules at rule starts");
                }
                state[v] = 2;
                top--;
            }
        }
    }

    private String leftRecursion(int[] path, int top, int back) {
        StringBuilder cycle = new StringBuilder();
        int from = top;
        while (path[from] != back) {
            from--;
        }
        for (int i = from; i <= top; i++) {
            cycle.append(g.names().get(path[i])).append(" -> ");
        }
        cycle.append(g.names().get(back));
        return capitalized(g.describe(back)) + " is left-recursive (" + cycle + "), which llama.cpp does not support: "
                + "write it with repetition instead, e.g. list ::= item (\",\" item)*";
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** The alternatives of every rule, as lists of items (rule ids, or -1 - t for terminal t). */
    private static final class Alternatives {
        private final int rules;
        private final int[] owner; // per alternative, its rule
        private final int[][] items; // per alternative, its items
        private final List<BitSet> terminals = new ArrayList<>(); // per terminal, the character buckets it can take
        private final BitSet tokenTerminals = new BitSet(); // the terminals that are tokens (<name>, !<name>), not characters

        Alternatives(GbnfRules g) {
            this.rules = g.size();
            List<Integer> owners = new ArrayList<>();
            List<int[]> all = new ArrayList<>();
            for (int id = 0; id < rules; id++) {
                int[] r = g.rules().get(id);
                int[] current = new int[r.length / 2];
                int count = 0;
                for (int i = 0; i < r.length / 2; i++) {
                    int type = r[2 * i];
                    if (GbnfRules.isEndOfSequence(type)) {
                        owners.add(id);
                        all.add(Arrays.copyOf(current, count));
                        count = 0;
                    } else if (type == RULE_REF) {
                        current[count++] = r[2 * i + 1];
                    } else if (GbnfRules.isTerminalStart(type)) {
                        tokenTerminals.set(terminals.size(), type == TOKEN || type == TOKEN_NOT);
                        terminals.add(buckets(r, i));
                        current[count++] = -terminals.size();
                    }
                }
            }
            this.owner = owners.stream().mapToInt(Integer::intValue).toArray();
            this.items = all.toArray(int[][]::new);
        }

        /** The buckets of the characters the terminal starting at element {@code i} can take (a token: any). */
        private static BitSet buckets(int[] r, int i) {
            BitSet out = new BitSet(BUCKETS);
            int type = r[2 * i];
            if (type == TOKEN || type == TOKEN_NOT || type == CHAR_ANY) {
                out.set(0, BUCKETS);
                return out;
            }
            boolean positive = type == CHAR;
            BitSet listed = new BitSet(BUCKETS);
            boolean any = false;
            int k = i;
            do {
                long lo = Integer.toUnsignedLong(r[2 * k + 1]);
                long hi = lo;
                if (r[2 * k] == CHAR_ANY) {
                    any = true;
                    k += 1;
                    continue;
                }
                if (r[2 * k + 2] == CHAR_RNG_UPPER) {
                    hi = Integer.toUnsignedLong(r[2 * k + 3]);
                    k += 2;
                } else {
                    k += 1;
                }
                if (lo < 128) {
                    listed.set((int) lo, (int) Math.min(hi, 127) + 1);
                }
                if (hi >= 128) {
                    listed.set(128);
                }
            } while (r[2 * k] == CHAR_ALT);
            if (any) {
                out.set(0, BUCKETS);
            } else if (positive) {
                out.or(listed);
            } else {
                out.set(0, 128);
                out.andNot(listed);
                out.set(128); // excluding some non-ASCII characters leaves others
            }
            return out;
        }

        /** The alternatives of rule {@code r}. */
        int[] alternativesOf(int r) {
            if (byRule == null) {
                int[] count = new int[rules];
                for (int o : owner) {
                    count[o]++;
                }
                byRule = new int[rules][];
                for (int i = 0; i < rules; i++) {
                    byRule[i] = new int[count[i]];
                    count[i] = 0;
                }
                for (int a = 0; a < owner.length; a++) {
                    byRule[owner[a]][count[owner[a]]++] = a;
                }
            }
            return byRule[r];
        }

        private int[][] byRule;

        /** Rules that can derive the empty string. */
        boolean[] nullable() {
            return fixpoint(true);
        }

        /** Rules that can derive some finite string (terminals are all matchable by now). */
        boolean[] productive() {
            return fixpoint(false);
        }

        /**
         * A worklist fixpoint: a rule holds once one of its alternatives has only items that hold.
         * Terminals never hold for nullability and always hold for productivity.
         */
        private boolean[] fixpoint(boolean terminalsBlock) {
            boolean[] holds = new boolean[rules];
            int[] pending = new int[items.length];
            int[][] users = usersOf();
            int[] queue = new int[rules];
            int head = 0;
            int tail = 0;
            for (int a = 0; a < items.length; a++) {
                for (int item : items[a]) {
                    if (item >= 0) {
                        pending[a]++;
                    } else if (terminalsBlock) {
                        pending[a] = Integer.MIN_VALUE / 2; // never reaches 0
                    }
                }
                if (pending[a] == 0 && !holds[owner[a]]) {
                    holds[owner[a]] = true;
                    queue[tail++] = owner[a];
                }
            }
            while (head < tail) {
                int rule = queue[head++];
                for (int a : users[rule]) {
                    if (--pending[a] == 0 && !holds[owner[a]]) {
                        holds[owner[a]] = true;
                        queue[tail++] = owner[a];
                    }
                }
            }
            return holds;
        }

        /** Per rule, the alternatives that use it, once per use. */
        private int[][] usersOf() {
            int[] count = new int[rules];
            for (int[] alt : items) {
                for (int item : alt) {
                    if (item >= 0) {
                        count[item]++;
                    }
                }
            }
            int[][] users = new int[rules][];
            for (int r = 0; r < rules; r++) {
                users[r] = new int[count[r]];
                count[r] = 0;
            }
            for (int a = 0; a < items.length; a++) {
                for (int item : items[a]) {
                    if (item >= 0) {
                        users[item][count[item]++] = a;
                    }
                }
            }
            return users;
        }

        /** Per rule, the rules it starts with (once per occurrence, as llama.cpp's check visits them). */
        int[][] startingRefs(boolean[] nullable) {
            int[][] out = new int[rules][];
            int[] count = new int[rules];
            for (int a = 0; a < items.length; a++) {
                for (int item : items[a]) {
                    if (item < 0) {
                        break;
                    }
                    count[owner[a]]++;
                    if (!nullable[item]) {
                        break;
                    }
                }
            }
            for (int r = 0; r < rules; r++) {
                out[r] = new int[count[r]];
                count[r] = 0;
            }
            for (int a = 0; a < items.length; a++) {
                for (int item : items[a]) {
                    if (item < 0) {
                        break;
                    }
                    out[owner[a]][count[owner[a]]++] = item;
                    if (!nullable[item]) {
                        break;
                    }
                }
            }
            return out;
        }
    }

    /**
     * Repetitions that one run of the same character can pass through, one after another. The
     * {@link Ambiguity} check counts the parts that may take the next character at one point; it does
     * not see {@code x+{21}}, whose repetitions are separated by a required {@code x}: at each point only
     * two parts (go on repeating, or move to the next) can take the character, yet a token of L such
     * characters splits among the 21 repetitions in about C(L, 20) ways, and llama.cpp's sampler follows
     * every one (a whitespace token of 64 characters: 10^17). So, per character bucket: a rule is
     * <em>transparent</em> when it can match a string of that character only; a transparent rule on a
     * cycle of transparent rules repeats (counts 1, and may not contain another repeating part, or the
     * ways grow exponentially, as with {@code (x+)+}); and no run of transparent items in an alternative
     * may pass through more than {@link #MAX_RUN_REPEATS} repeating parts. A run that begins or ends
     * inside a part that is not transparent is not counted: the bound is on the clear cases.
     */
    private static final class Runs {
        private final GbnfRules g;
        private final Alternatives alts;
        private final int[][] byRule;
        /** Per rule, the alternatives it appears in (once per appearance). */
        private final int[][] usedIn;

        Runs(GbnfRules g, Alternatives alts) {
            this.g = g;
            this.alts = alts;
            int n = alts.rules;
            int[] own = new int[n];
            int[] uses = new int[n];
            for (int a = 0; a < alts.items.length; a++) {
                own[alts.owner[a]]++;
                for (int item : alts.items[a]) {
                    if (item >= 0) {
                        uses[item]++;
                    }
                }
            }
            byRule = new int[n][];
            usedIn = new int[n][];
            for (int r = 0; r < n; r++) {
                byRule[r] = new int[own[r]];
                usedIn[r] = new int[uses[r]];
            }
            Arrays.fill(own, 0);
            Arrays.fill(uses, 0);
            for (int a = 0; a < alts.items.length; a++) {
                int r = alts.owner[a];
                byRule[r][own[r]++] = a;
                for (int item : alts.items[a]) {
                    if (item >= 0) {
                        usedIn[item][uses[item]++] = a;
                    }
                }
            }
        }

        void check() {
            BitSet taken = new BitSet(BUCKETS);
            for (int t = 0; t < alts.terminals.size(); t++) {
                if (!alts.tokenTerminals.get(t)) {
                    taken.or(alts.terminals.get(t));
                }
            }
            for (int b : SHOWN_ORDER) {
                if (taken.get(b)) {
                    checkBucket(b);
                }
            }
        }

        private boolean transparentItem(int item, int b, boolean[] transparent) {
            if (item >= 0) {
                return transparent[item];
            }
            int t = -item - 1;
            return !alts.tokenTerminals.get(t) && alts.terminals.get(t).get(b);
        }

        /**
         * Which rules, and which alternatives, can match a string of bucket {@code b} only: a worklist over
         * the alternatives' missing items. Writes the alternatives' answers into {@code clearAlternatives}.
         */
        private boolean[] transparent(int b, boolean[] clearAlternatives) {
            int n = alts.rules;
            boolean[] transparent = new boolean[n];
            int[] missing = new int[alts.items.length];
            java.util.ArrayDeque<Integer> ready = new java.util.ArrayDeque<>();
            for (int a = 0; a < alts.items.length; a++) {
                int m = 0;
                boolean dead = false;
                for (int item : alts.items[a]) {
                    if (item >= 0) {
                        m++;
                    } else if (!transparentItem(item, b, transparent)) {
                        dead = true;
                    }
                }
                missing[a] = dead ? -1 : m;
                if (m == 0 && !dead && !transparent[alts.owner[a]]) {
                    transparent[alts.owner[a]] = true;
                    ready.add(alts.owner[a]);
                }
            }
            while (!ready.isEmpty()) {
                int r = ready.poll();
                for (int a : usedIn[r]) {
                    if (missing[a] > 0 && --missing[a] == 0 && !transparent[alts.owner[a]]) {
                        transparent[alts.owner[a]] = true;
                        ready.add(alts.owner[a]);
                    }
                }
            }
            for (int a = 0; a < missing.length; a++) {
                clearAlternatives[a] = missing[a] == 0; // every item transparent: its rules all became so
            }
            return transparent;
        }

        private void checkBucket(int b) {
            int n = alts.rules;
            boolean[] clear = new boolean[alts.items.length];
            boolean[] transparent = transparent(b, clear);
            int[] component = components(transparent, clear);
            int components = 0;
            for (int c : component) {
                components = Math.max(components, c + 1);
            }
            boolean[] cyclic = new boolean[components];
            for (int r = 0; r < n; r++) {
                if (transparent[r]) {
                    for (int a : byRule[r]) {
                        if (clear[a]) {
                            for (int item : alts.items[a]) {
                                if (item >= 0 && component[item] == component[r]) {
                                    cyclic[component[r]] = true;
                                }
                            }
                        }
                    }
                }
            }
            // Tarjan numbers components in reverse topological order: a component's callees come first.
            int[][] members = members(component, components, transparent);
            int[] repeats = new int[components];
            for (int c = 0; c < components; c++) {
                int inside = 0;
                for (int m : members[c]) {
                    for (int a : byRule[m]) {
                        if (clear[a]) {
                            int sum = 0;
                            for (int item : alts.items[a]) {
                                if (item >= 0 && component[item] != c) {
                                    sum = Math.min(1_000, sum + repeats[component[item]]);
                                }
                            }
                            inside = Math.max(inside, sum);
                        }
                    }
                }
                if (cyclic[c] && inside > 0) {
                    throw new GrammarException(capitalized(g.describe(members[c][0])) + " is too ambiguous: it repeats a part that itself "
                            + "repeats the same character (" + Ambiguity.bucketName(b) + "), as (x+)+ does; llama.cpp's sampler tries every "
                            + "way to split a token among them, which doubles with every character. Repeat the inner part only (x+)");
                }
                repeats[c] = cyclic[c] ? 1 : inside;
            }
            for (int a = 0; a < alts.items.length; a++) {
                int run = 0;
                for (int item : alts.items[a]) {
                    if (!transparentItem(item, b, transparent)) {
                        run = 0;
                        continue;
                    }
                    run += item >= 0 ? repeats[component[item]] : 0;
                    if (run > MAX_RUN_REPEATS) {
                        throw new GrammarException(capitalized(g.describe(alts.owner[a])) + " is too ambiguous: a run of the same character ("
                                + Ambiguity.bucketName(b) + ") can pass through " + run + " repetitions in a row, at most " + MAX_RUN_REPEATS
                                + "; llama.cpp's sampler tries every way to split a token among them. Merge them (x+ x+ is x x+) "
                                + "or separate them with characters they cannot take");
                    }
                }
            }
        }

        private static int[][] members(int[] component, int components, boolean[] transparent) {
            int[] count = new int[components];
            for (int r = 0; r < component.length; r++) {
                if (transparent[r]) {
                    count[component[r]]++;
                }
            }
            int[][] out = new int[components][];
            for (int c = 0; c < components; c++) {
                out[c] = new int[count[c]];
                count[c] = 0;
            }
            for (int r = 0; r < component.length; r++) {
                if (transparent[r]) {
                    out[component[r]][count[component[r]]++] = r;
                }
            }
            return out;
        }

        /** Strongly connected components of the transparent rules along transparent alternatives (Tarjan's, iterative). */
        private int[] components(boolean[] transparent, boolean[] clear) {
            int n = alts.rules;
            int[][] edges = new int[n][];
            for (int r = 0; r < n; r++) {
                java.util.BitSet out = new java.util.BitSet();
                if (transparent[r]) {
                    for (int a : byRule[r]) {
                        if (clear[a]) {
                            for (int item : alts.items[a]) {
                                if (item >= 0) {
                                    out.set(item);
                                }
                            }
                        }
                    }
                }
                edges[r] = out.stream().toArray();
            }
            int[] index = new int[n];
            int[] low = new int[n];
            int[] component = new int[n];
            Arrays.fill(index, -1);
            boolean[] onStack = new boolean[n];
            int[] stack = new int[n];
            int sp = 0;
            int counter = 0;
            int components = 0;
            int[] callRule = new int[n];
            int[] callEdge = new int[n];
            for (int start = 0; start < n; start++) {
                if (index[start] >= 0) {
                    continue;
                }
                int depth = 0;
                callRule[0] = start;
                callEdge[0] = 0;
                index[start] = low[start] = counter++;
                stack[sp++] = start;
                onStack[start] = true;
                while (depth >= 0) {
                    int v = callRule[depth];
                    if (callEdge[depth] < edges[v].length) {
                        int w = edges[v][callEdge[depth]++];
                        if (index[w] < 0) {
                            index[w] = low[w] = counter++;
                            stack[sp++] = w;
                            onStack[w] = true;
                            depth++;
                            callRule[depth] = w;
                            callEdge[depth] = 0;
                        } else if (onStack[w]) {
                            low[v] = Math.min(low[v], index[w]);
                        }
                        continue;
                    }
                    if (low[v] == index[v]) {
                        int w;
                        do {
                            w = stack[--sp];
                            onStack[w] = false;
                            component[w] = components;
                        } while (w != v);
                        components++;
                    }
                    depth--;
                    if (depth >= 0) {
                        int parent = callRule[depth];
                        low[parent] = Math.min(low[parent], low[v]);
                    }
                }
            }
            return component;
        }
    }

    /**
     * How many parts may take the same next character. For a rule, {@code first} is the most ways any
     * of its alternatives can take its first character; at a position of an alternative, the ways are
     * the sum over the parts from there on while the ones before are optional ({@code suffix}), or,
     * inside a rule that may end there, its own {@code tail} ways plus the parts after it. The tail ways
     * of right-recursive rules are a fixpoint; one that keeps growing (each nesting leaves one more part
     * waiting: {@code s ::= "x" s [a]*}) is refused as unbounded.
     */
    private static final class Ambiguity {
        private final GbnfRules g;
        private final Alternatives alts;
        private final boolean[] nullable;
        private final int[][] first;
        private final int[][] tail;

        Ambiguity(GbnfRules g, Alternatives alts, boolean[] nullable) {
            this.g = g;
            this.alts = alts;
            this.nullable = nullable;
            this.first = new int[alts.rules][];
            this.tail = new int[alts.rules][BUCKETS];
        }

        void check() {
            for (int r = 0; r < alts.rules; r++) {
                checkOneCharacterAlternatives(r);
                firstOf(r);
            }
            // Gauss-Seidel over the tails, rules with higher ids (the groups inside) first; values are capped,
            // so a tail that keeps growing passes the cap and is refused.
            for (int pass = 0; ; pass++) {
                boolean changed = false;
                for (int a = alts.items.length - 1; a >= 0; a--) {
                    changed |= scan(a, false);
                }
                if (!changed) {
                    break;
                }
                if (pass > 64) {
                    throw new GrammarException("the grammar is too ambiguous to analyse: its rules can end in one another along "
                            + "too many paths; simplify its repetitions");
                }
            }
            for (int a = 0; a < alts.items.length; a++) {
                scan(a, true);
            }
        }

        /**
         * Alternatives of one character each that take the same character ({@code [a-z] | [a-m]}): llama.cpp
         * follows each at every character of a token, so inside a repetition the ways multiply with the
         * token's length (3^L for three: over a second for the first token of {@code ([a-z] | [a-z] | [a-z])* "."}).
         * One character class says the same.
         */
        private void checkOneCharacterAlternatives(int r) {
            int[] count = new int[BUCKETS];
            for (int a : alts.alternativesOf(r)) {
                int[] items = alts.items[a];
                if (items.length == 1 && items[0] < 0 && !alts.tokenTerminals.get(-items[0] - 1)) {
                    BitSet t = alts.terminals.get(-items[0] - 1);
                    for (int b : SHOWN_ORDER) {
                        if (t.get(b) && ++count[b] > 1) {
                            throw new GrammarException(capitalized(g.describe(r)) + " has alternatives of one character each that take the same "
                                    + "character (" + bucketName(b) + "); llama.cpp's sampler "
                                    + "follows each of them at every character, which multiplies along a token: merge them into one character class");
                        }
                    }
                }
            }
        }

        /** Scans alternative {@code a} from its end: raises its rule's tail ways; with {@code refuse}, checks every position. */
        private boolean scan(int a, boolean refuse) {
            int[] items = alts.items[a];
            int rule = alts.owner[a];
            int[] suffix = new int[BUCKETS]; // ways from the position after the current one
            int[] ways = new int[BUCKETS];
            boolean restOptional = true; // everything after the current position may be empty
            boolean changed = false;
            for (int j = items.length - 1; j >= 0; j--) {
                int item = items[j];
                boolean optional = item >= 0 && nullable[item];
                for (int b = 0; b < BUCKETS; b++) {
                    int s = cap(ways(item, b) + (optional ? suffix[b] : 0));
                    int w = item >= 0 ? Math.max(s, cap(tail[item][b] + suffix[b])) : s;
                    ways[b] = w;
                    if (restOptional && w > tail[rule][b]) {
                        tail[rule][b] = w;
                        changed = true;
                    }
                    suffix[b] = s;
                }
                if (refuse) {
                    for (int b : SHOWN_ORDER) {
                        if (ways[b] > MAX_WAYS) {
                            throw new GrammarException(capitalized(g.describe(rule)) + " is too ambiguous: " + (ways[b] > MAX_WAYS + 1 ? "more than " : "")
                                    + ways[b] + " optional or repeated parts in a row can take the same next character ("
                                    + bucketName(b) + "), at most " + MAX_WAYS
                                    + "; llama.cpp's sampler tries every way to split a token among them. Merge them (x* x* is x*) "
                                    + "or make them start with different characters");
                        }
                    }
                }
                restOptional &= optional;
            }
            return changed;
        }

        /** The most ways rule {@code r}'s alternatives can take their first character, by bucket (left recursion is refused by now). */
        private int[] firstOf(int root) {
            if (first[root] != null) {
                return first[root];
            }
            // iterative post-order along rule starts, which the left-recursion check has proved acyclic
            java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
            todo.push(root);
            while (!todo.isEmpty()) {
                int r = todo.peek();
                if (first[r] != null) {
                    todo.pop();
                    continue;
                }
                boolean ready = true;
                for (int a : alts.alternativesOf(r)) {
                    for (int item : alts.items[a]) {
                        if (item >= 0 && first[item] == null && item != r) {
                            todo.push(item);
                            ready = false;
                        }
                        if (item < 0 || !nullable[item]) {
                            break;
                        }
                    }
                }
                if (!ready) {
                    continue;
                }
                int[] out = new int[BUCKETS];
                for (int a : alts.alternativesOf(r)) {
                    int[] sum = new int[BUCKETS];
                    for (int item : alts.items[a]) {
                        for (int b = 0; b < BUCKETS; b++) {
                            sum[b] = cap(sum[b] + ways(item, b));
                        }
                        if (item < 0 || !nullable[item]) {
                            break;
                        }
                    }
                    for (int b = 0; b < BUCKETS; b++) {
                        out[b] = Math.max(out[b], sum[b]);
                    }
                }
                first[r] = out;
                todo.pop();
            }
            return first[root];
        }

        /** The ways one item takes a first character in bucket {@code b}: a terminal's one, or a rule's {@link #first}. */
        private int ways(int item, int b) {
            return item >= 0 ? first[item][b] : alts.terminals.get(-item - 1).get(b) ? 1 : 0;
        }

        static String bucketName(int b) {
            return b < 128 ? GrammarText.codePoint(b) : "a non-ASCII character";
        }

        private static int cap(int ways) {
            return Math.min(ways, MAX_WAYS + 1);
        }
    }
}
