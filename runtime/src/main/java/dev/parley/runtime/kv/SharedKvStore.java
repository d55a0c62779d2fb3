package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Where the shared tier keeps entries that every replica reads: a directory they all mount, or a
 * Redis/Valkey server. A store only moves bytes: {@link SharedTier} decides what to write, what to
 * look up and whether a state read back is sound. Entries are named by keys of the form
 * {@code <fingerprint>/<chain hash>}. Every method may throw {@link IOException} when the store
 * cannot be reached; a missing entry is never an exception.
 */
sealed interface SharedKvStore extends AutoCloseable permits FileKvStore, RedisKvStore {

    /** An entry found under a key, with its index. */
    record Located(String key, SharedIndex index) {}

    /** The first of {@code keys} (longest prefix first) that names an entry, or null. */
    Located find(List<String> keys) throws IOException;

    /** Every one of {@code keys} that names an entry (to delete those a longer entry supersedes). */
    List<Located> findAll(List<String> keys) throws IOException;

    /** Stores a state under {@code key}, replacing what was there; readers see the old entry or the whole new one. */
    void write(String key, long namespace, int[] tokens, MemorySegment state) throws IOException;

    /** The entry's bytes in the disk tier's file format, read into {@code arena}; null when it is gone. */
    MemorySegment read(Located at, Arena arena) throws IOException;

    /** Removes an entry (found unreadable). */
    void delete(Located at) throws IOException;

    /** Fails unless the store answers now. */
    void ping() throws IOException;

    /** Upkeep on the writer thread now and then (the file store deletes expired entries and abandoned temporary files). */
    default void sweep() throws IOException {
    }

    /** The backend and where it is, without secrets (for logs and /health). */
    String describe();

    /** file or redis. */
    String backend();

    @Override
    void close();
}
