package dev.parley.runtime.kv;

/**
 * The shared tier's counters since start.
 *
 * @param up whether the store answered last time it was asked
 * @param hits lookups that found an entry and restored it; {@code misses}: found nothing usable
 * @param skipped entries found but not fetched, because prefilling them was estimated to be faster
 * @param dropped states not written because the writer's queue was full (or the store was down)
 * @param discarded entries found truncated, corrupt or not matching their index, and deleted
 * @param superseded entries deleted because a longer one of the same conversation replaced them
 */
public record SharedTierStats(String backend, boolean up, long hits, long misses, long skipped, long bytesRead, long bytesWritten,
                              long writes, long writeFailures, long dropped, long discarded, long superseded, int queued) {}
