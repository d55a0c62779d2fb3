package dev.parley.runtime.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The RAM tier's states: one off-heap buffer per entry, in its own shared arena so that it is freed
 * when the entry goes (not when a GC runs) and so that the writer thread can read it while the
 * scheduler restores from it.
 */
final class RamStore implements TierStore {

    /** Gives {@code e} a buffer of its state's size for the caller to fill. */
    void allocate(KvEntry e) {
        e.arena = Arena.ofShared();
        e.state = e.arena.allocate(e.stateBytes, 64);
    }

    @Override
    public long footprint(KvEntry e) {
        return e.stateBytes;
    }

    /** The buffer itself (no copy): valid until {@link #free}, which waits for the entry's restores. */
    @Override
    public MemorySegment read(KvEntry e, Arena arena) {
        return e.state;
    }

    @Override
    public void free(KvEntry e) {
        e.freeState();
    }
}
