package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where one tier keeps its entries' states: the load/store side, apart from the books of which
 * entries stay ({@link BudgetedTier}). {@link KvTiers} calls it; the tier's budget counts
 * {@link #footprint}.
 */
sealed interface TierStore permits RamStore, DiskStore {

    /** Bytes {@code e} takes here (what the tier's budget counts for it). */
    long footprint(KvEntry e);

    /**
     * {@code e}'s state: a buffer it holds, or bytes read into {@code arena} and checked.
     *
     * @throws java.nio.file.NoSuchFileException when the state is gone (evicted meanwhile)
     * @throws DiskFiles.Unreadable when what is stored is not a sound state of this entry
     */
    MemorySegment read(KvEntry e, Arena arena) throws IOException, DiskFiles.Unreadable;

    /** Frees what {@code e} holds here (under the tiers' lock: deleting a file is the only I/O allowed there). */
    void free(KvEntry e);
}
