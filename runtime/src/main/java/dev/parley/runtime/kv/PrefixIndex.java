package dev.parley.runtime.kv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds, among saved token sequences, the one sharing the longest prefix with a prompt, without
 * comparing the prompt to every entry. Each entry is filed under a chain of hashes, one per full
 * block of {@link #BLOCK} tokens (the hash of block k covers the namespace and every token up to the
 * end of block k, as vLLM's block hashes do). A lookup walks the prompt's chain until no entry has
 * that prefix, then compares tokens exactly with the few entries at the deepest block, so a match
 * can end anywhere, not just on a block boundary, and a hash collision is never a wrong hit.
 * Not thread-safe: its owner locks.
 */
final class PrefixIndex {

    /** Tokens per block; sequences shorter than one block are not worth indexing. */
    static final int BLOCK = 32;

    /** Entries whose tokens start with the prefix a chain hash stands for. */
    private final Map<Long, Set<KvEntry>> containing = new HashMap<>();
    /** Entries whose last full block ends at the prefix a chain hash stands for. */
    private final Map<Long, Set<KvEntry>> ending = new HashMap<>();

    /** The longest prefix some entry shares with {@code prompt}, and that entry; or null below one block. */
    record Hit(KvEntry entry, int tokens) {}

    void add(KvEntry e) {
        long[] chain = chain(e.namespace, e.tokens, e.tokens.length);
        if (chain.length == 0) {
            throw new IllegalArgumentException("an entry needs at least " + BLOCK + " tokens, got " + e.tokens.length);
        }
        for (long h : chain) {
            containing.computeIfAbsent(h, k -> new LinkedHashSet<>()).add(e);
        }
        ending.computeIfAbsent(chain[chain.length - 1], k -> new LinkedHashSet<>()).add(e);
    }

    void remove(KvEntry e) {
        long[] chain = chain(e.namespace, e.tokens, e.tokens.length);
        for (long h : chain) {
            drop(containing, h, e);
        }
        if (chain.length > 0) {
            drop(ending, chain[chain.length - 1], e);
        }
    }

    private static void drop(Map<Long, Set<KvEntry>> map, long h, KvEntry e) {
        Set<KvEntry> set = map.get(h);
        if (set != null && set.remove(e) && set.isEmpty()) {
            map.remove(h);
        }
    }

    /**
     * The entry sharing the longest prefix with {@code prompt} in {@code namespace} (the most recently
     * used one among equals), or null when none shares a full block. {@code accept} filters entries
     * (e.g. those being deleted).
     */
    Hit longest(long namespace, int[] prompt, int length, java.util.function.Predicate<KvEntry> accept) {
        long h = seed(namespace);
        Set<KvEntry> deepest = null;
        for (int b = 0; (b + 1) * BLOCK <= length; b++) {
            h = extend(h, prompt, b * BLOCK, (b + 1) * BLOCK);
            Set<KvEntry> set = containing.get(h);
            if (set == null) {
                break;
            }
            deepest = set;
        }
        if (deepest == null) {
            return null;
        }
        KvEntry best = null;
        int bestTokens = 0;
        for (KvEntry e : deepest) {
            if (e.namespace != namespace || !accept.test(e)) {
                continue;
            }
            int n = commonPrefix(e.tokens, prompt, length);
            if (n > bestTokens || n == bestTokens && best != null && e.lastUsed > best.lastUsed) {
                best = e;
                bestTokens = n;
            }
        }
        return best == null || bestTokens < BLOCK ? null : new Hit(best, bestTokens);
    }

    /** Entries in {@code namespace} whose tokens are a prefix of {@code tokens} (a longer save supersedes them). */
    List<KvEntry> prefixesOf(long namespace, int[] tokens, int length) {
        List<KvEntry> out = new ArrayList<>();
        long h = seed(namespace);
        for (int b = 0; (b + 1) * BLOCK <= length; b++) {
            h = extend(h, tokens, b * BLOCK, (b + 1) * BLOCK);
            Set<KvEntry> set = ending.get(h);
            if (set == null) {
                if (!containing.containsKey(h)) {
                    break;
                }
                continue;
            }
            for (KvEntry e : set) {
                if (e.namespace == namespace && e.tokens.length <= length && commonPrefix(e.tokens, tokens, length) == e.tokens.length) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** Entries in {@code namespace} whose tokens start with the first {@code length} of {@code tokens} (at least one block). */
    List<KvEntry> extending(long namespace, int[] tokens, int length) {
        List<KvEntry> out = new ArrayList<>();
        if (length < BLOCK) {
            return out;
        }
        long h = seed(namespace);
        for (int b = 0; (b + 1) * BLOCK <= length; b++) {
            h = extend(h, tokens, b * BLOCK, (b + 1) * BLOCK);
        }
        Set<KvEntry> set = containing.get(h);
        if (set != null) {
            for (KvEntry e : set) {
                if (e.namespace == namespace && e.tokens.length >= length && commonPrefix(e.tokens, tokens, length) == length) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    static int commonPrefix(int[] a, int[] b, int bLength) {
        int n = Math.min(a.length, bLength);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /** The chain hashes of the full blocks of {@code tokens}: the last one names an entry in the shared tier. */
    static long[] chain(long namespace, int[] tokens, int length) {
        long[] out = new long[length / BLOCK];
        long h = seed(namespace);
        for (int b = 0; b < out.length; b++) {
            h = extend(h, tokens, b * BLOCK, (b + 1) * BLOCK);
            out[b] = h;
        }
        return out;
    }

    private static long seed(long namespace) {
        return mix(namespace ^ 0x9E3779B97F4A7C15L);
    }

    private static long extend(long h, int[] tokens, int from, int to) {
        for (int i = from; i < to; i++) {
            h = mix(h * 31 + tokens[i]);
        }
        return h;
    }

    /** SplitMix64's finalizer: every input bit reaches every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
