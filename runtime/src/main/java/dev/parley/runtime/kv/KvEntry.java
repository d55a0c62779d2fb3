package dev.parley.runtime.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * One saved sequence: the tokens whose KV state it holds and where the state lives now. Guarded by
 * the {@link KvTiers} that owns it.
 */
final class KvEntry {

    enum Where { RAM, SPILLING, DISK }

    /**
     * The RAM tier's eviction order: unpinned anonymous entries, then unpinned named ones, then pinned
     * ones, the earliest expiry first (least recently used first among equals, by {@link BudgetedTier}).
     */
    static final Comparator<KvEntry> RAM_ORDER = Comparator.comparingInt(KvEntry::rank).thenComparingLong(e -> e.pinnedUntil);

    /**
     * The disk tier's: unpinned entries, then pinned ones by expiry. Names do not count there (a file
     * does not record one, so after a restart no entry would have one).
     */
    static final Comparator<KvEntry> DISK_ORDER = Comparator.comparingLong(e -> e.pinnedUntil);

    private static int rank(KvEntry e) {
        return e.pinnedUntil > 0 ? 2 : e.named ? 1 : 0;
    }

    final long namespace;
    final int[] tokens;
    final long stateBytes;
    /** Saved from a turn that named its conversation: RAM evicts it after entries that did not. */
    boolean named;
    /** Fetched from the shared tier and not restored yet (its first restore is reported as shared). */
    boolean fromShared;
    Where where;
    /** Off-heap state while in RAM or being written; null on disk. */
    Arena arena;
    MemorySegment state;
    Path file;
    long lastUsed;
    /**
     * Until when (epoch millis) a client's cache hint keeps this entry after every unpinned one; 0: not
     * pinned. Recomputed by {@link KvTiers} from its pins before each eviction.
     */
    long pinnedUntil;
    /** Restores in progress reading {@link #state}; it is freed only at zero. */
    int pins;

    /** A restore holds it: no tier evicts it. */
    boolean inUse() {
        return pins > 0;
    }
    /** Gone from the tiers (superseded, evicted or unreadable); its buffer is freed once unpinned. */
    boolean dropped;

    KvEntry(long namespace, int[] tokens, long stateBytes) {
        this.namespace = namespace;
        this.tokens = tokens;
        this.stateBytes = stateBytes;
    }

    void freeState() {
        if (arena != null) {
            arena.close();
            arena = null;
            state = null;
        }
    }

    @Override
    public String toString() {
        return "KvEntry[" + tokens.length + " tokens, " + stateBytes + " bytes, " + where + (dropped ? ", dropped" : "") + "]";
    }
}
