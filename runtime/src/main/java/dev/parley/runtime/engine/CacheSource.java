package dev.parley.runtime.engine;

/** Where the reused part of a prompt came from. */
public enum CacheSource {
    /** The slot's own KV cache (the same conversation, or a shared prefix). */
    SLOT,
    /** A saved state restored from host RAM. */
    RAM,
    /** A saved state restored from the disk tier. */
    DISK,
    /** A saved state fetched from the shared tier (another replica's, or this one's before a restart). */
    SHARED,
    /** Nothing reusable: the whole prompt was prefilled. */
    MISS;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
