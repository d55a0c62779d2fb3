package dev.parley.runtime.kv;

/**
 * The tiers at one moment.
 *
 * @param spillingBytes state on its way to disk (in host memory, outside the RAM budget)
 * @param spilled entries moved from RAM to disk since start
 * @param evictedRam entries dropped from RAM without a disk copy
 * @param evictedDisk files deleted to keep the disk budget
 * @param discarded disk entries found unreadable (truncated, corrupt, another fingerprint) and deleted
 */
public record KvTierStats(int ramEntries, long ramBytes, int diskEntries, long diskBytes, long spillingBytes, long spilled,
                          long evictedRam, long evictedDisk, long discarded) {

    public static final KvTierStats NONE = new KvTierStats(0, 0, 0, 0, 0, 0, 0, 0, 0);
}
