package dev.parley.runtime.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Clients' cache hints: keep an entry holding a prompt prefix until the hint expires. A pin names
 * tokens, not an entry (the entry holding them changes as a conversation grows), so before each
 * eviction {@link #refresh} marks the entry that holds each live pin's prefix ({@link KvEntry#pinnedUntil});
 * the tiers' eviction order does the rest. One owner's pinned entries may take at most the pin budget
 * and {@link KvTiers#MAX_PINS_PER_OWNER} pins; beyond either, the owner's oldest pins lapse. Not
 * thread-safe: the tiers' lock guards it.
 */
final class CachePins {

    /** A cache hint: keep an entry holding these tokens until {@code until} (epoch millis). */
    private static final class Pin {
        final long namespace;
        final int[] tokens;
        final long until;

        Pin(long namespace, int[] tokens, long until) {
            this.namespace = namespace;
            this.tokens = tokens;
            this.until = until;
        }
    }

    private final LongSupplier clockMillis;
    private final long budgetBytes;
    private final int maxPerOwner;
    /** Oldest first (by when they were given or last renewed). */
    private final List<Pin> pins = new ArrayList<>();
    /** The entries whose {@link KvEntry#pinnedUntil} is set. */
    private final List<KvEntry> marked = new ArrayList<>();

    CachePins(LongSupplier clockMillis, long budgetBytes, int maxPerOwner) {
        this.clockMillis = clockMillis;
        this.budgetBytes = budgetBytes;
        this.maxPerOwner = maxPerOwner;
    }

    /**
     * Pins the first {@code length} of {@code tokens} for {@code ttlMillis}. Renewing a pin (the same
     * prefix again) moves its expiry later; pins it makes redundant (shorter prefixes of it, expiring no
     * later) go. Prefixes shorter than a block are not pinned.
     */
    void pin(long namespace, int[] tokens, int length, long ttlMillis) {
        if (length < PrefixIndex.BLOCK || ttlMillis <= 0) {
            return;
        }
        long until = clockMillis.getAsLong() + ttlMillis;
        int owned = 0;
        for (var it = pins.iterator(); it.hasNext(); ) {
            Pin p = it.next();
            if (p.namespace != namespace) {
                continue;
            }
            boolean within = p.tokens.length <= length && PrefixIndex.commonPrefix(p.tokens, tokens, length) == p.tokens.length;
            if (within && (p.until <= until || p.tokens.length == length)) {
                until = Math.max(until, p.until);
                it.remove();
            } else {
                owned++;
            }
        }
        for (var it = pins.iterator(); owned >= maxPerOwner && it.hasNext(); ) {
            if (it.next().namespace == namespace) {
                it.remove(); // the owner's oldest lapses
                owned--;
            }
        }
        pins.add(new Pin(namespace, Arrays.copyOf(tokens, length), until));
    }

    /** Whether a live pin covers more than the first {@code keep} of {@code tokens}' first {@code length}. */
    boolean pinnedBeyond(long namespace, int[] tokens, int length, int keep) {
        long now = clockMillis.getAsLong();
        for (Pin p : pins) {
            if (p.namespace == namespace && p.until > now && p.tokens.length > keep && p.tokens.length <= length
                    && PrefixIndex.commonPrefix(p.tokens, tokens, length) == p.tokens.length) {
                return true;
            }
        }
        return false;
    }

    /** Live pins, after dropping expired ones and those over their owner's share. */
    int count(PrefixIndex index) {
        refresh(index);
        return pins.size();
    }

    /**
     * Drops expired pins and marks, for each live one, the most recently used entry holding its prefix
     * (newest pins first, so that an owner over its share loses its oldest).
     */
    void refresh(PrefixIndex index) {
        long now = clockMillis.getAsLong();
        pins.removeIf(p -> p.until <= now);
        for (KvEntry e : marked) {
            e.pinnedUntil = 0;
        }
        marked.clear();
        Map<Long, Long> owned = new HashMap<>();
        for (int i = pins.size() - 1; i >= 0; i--) {
            Pin p = pins.get(i);
            KvEntry holder = null;
            for (KvEntry e : index.extending(p.namespace, p.tokens, p.tokens.length)) {
                if (!e.dropped && (holder == null || e.lastUsed > holder.lastUsed)) {
                    holder = e;
                }
            }
            if (holder == null) {
                continue; // still in a slot, or gone: it costs nothing
            }
            if (holder.pinnedUntil > 0) {
                holder.pinnedUntil = Math.max(holder.pinnedUntil, p.until);
                continue;
            }
            long bytes = owned.getOrDefault(p.namespace, 0L) + holder.stateBytes;
            if (bytes > budgetBytes) {
                pins.remove(i); // over the owner's share: this (older) pin lapses
                continue;
            }
            owned.put(p.namespace, bytes);
            holder.pinnedUntil = p.until;
            marked.add(holder);
        }
    }
}
