package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Saved KV states behind the slots: a host-RAM tier with a byte budget, and a disk tier with its own
 * budget that survives restarts. Entries are keyed by their namespace (a tenant salt) and their tokens;
 * a lookup finds the entry sharing the longest prefix with a prompt ({@link PrefixIndex}).
 *
 * <p>When RAM passes its budget, the least recently used entries go to the disk writer thread (or are
 * dropped when there is no disk tier); when disk passes its budget, its least recently used files are
 * deleted. Saving a sequence drops the entries it extends; a sequence that an entry already contains
 * is not saved again.
 *
 * <p>Cache hints ({@link #pin}) keep a prompt prefix for a while: the most recently used entry holding
 * it is pinned until the hint expires. Each tier evicts unpinned anonymous entries first (least
 * recently used first), then unpinned named ones, then pinned ones, the earliest expiry first; a pinned
 * entry leaving RAM still goes to disk when there is one. One owner's pinned entries may take at most
 * {@link KvSettings#pinBudgetBytes()}; beyond it, and beyond {@link #MAX_PINS_PER_OWNER} pins, the
 * owner's oldest pins lapse. Only the writer thread does file writes; the caller (the scheduler) reads a
 * file only for the entry it is about to restore. Thread-safe: one lock guards the bookkeeping, and
 * no I/O other than deleting a file runs under it.
 */
public final class KvTiers implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.kv");

    /** SHARED: an entry fetched from the shared tier, until its first restore. */
    public enum Tier { RAM, DISK, SHARED }

    /** A lookup's result: the entry is pinned until {@link #release}. */
    public static final class Match {
        private final KvEntry entry;
        private final int tokens;
        private final Tier tier;

        private Match(KvEntry entry, int tokens, Tier tier) {
            this.entry = entry;
            this.tokens = tokens;
            this.tier = tier;
        }

        /** Prompt tokens the entry shares. */
        public int tokens() {
            return tokens;
        }

        public Tier tier() {
            return tier;
        }

        /** All the tokens the entry's state holds (not to be modified). */
        public int[] entryTokens() {
            return entry.tokens;
        }

        public long stateBytes() {
            return entry.stateBytes;
        }
    }

    /** A save in progress: the caller fills {@link #segment()} then calls {@link #completeStore}. */
    public static final class Store {
        private final KvEntry entry;

        private Store(KvEntry entry) {
            this.entry = entry;
        }

        public MemorySegment segment() {
            return entry.state;
        }
    }

    /** Pins one owner may hold; a new one beyond them lapses the owner's oldest. */
    public static final int MAX_PINS_PER_OWNER = 64;

    /** A cache hint: keep an entry holding these tokens until {@code until} (epoch millis). */
    private static final class CachePin {
        final long namespace;
        final int[] tokens;
        long until;

        CachePin(long namespace, int[] tokens, long until) {
            this.namespace = namespace;
            this.tokens = tokens;
            this.until = until;
        }
    }

    private final KvSettings settings;
    private final LongSupplier clockMillis;
    /** Oldest first (by when they were given or last renewed). */
    private final List<CachePin> cachePins = new ArrayList<>();
    /** The entries whose {@link KvEntry#pinnedUntil} is set. */
    private final List<KvEntry> pinned = new ArrayList<>();
    private final byte[] fingerprint;
    private final Path dir;
    private final long spillBufferBytes;
    private final PrefixIndex index = new PrefixIndex();
    /** Least recently used first. */
    private final LinkedHashSet<KvEntry> ram = new LinkedHashSet<>();
    private final LinkedHashSet<KvEntry> disk = new LinkedHashSet<>();
    private final ExecutorService writer;
    private long ramBytes;
    private long spillingBytes;
    private long diskBytes;
    private long clock;
    private boolean closed;
    private final AtomicLong spilled = new AtomicLong();
    private final AtomicLong evictedRam = new AtomicLong();
    private final AtomicLong evictedDisk = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    /** How often a full disk is warned about: once, then at most once per interval while it stays full. */
    static final long FULL_WARNING_NANOS = 60_000_000_000L;
    /** Whether the disk tier's last write failed for a full disk (cleared by the next write that succeeds). */
    private volatile boolean diskFull;
    /** On the writer thread: when a full disk was last warned about, and the entries skipped since. */
    private long fullWarnedAt;
    private long skippedSinceWarning;

    /** How an entry becomes a file; tests put a full disk in its place. */
    @FunctionalInterface
    interface FileWrite {
        void write(Path target, byte[] fingerprint, KvEntry e, MemorySegment state) throws IOException;
    }

    private volatile FileWrite fileWrite = DiskFiles::write;

    /** Tests: writes go through {@code w} from now on. */
    void writeFilesWith(FileWrite w) {
        fileWrite = w;
    }

    private KvTiers(KvSettings settings, byte[] fingerprint, LongSupplier clockMillis) {
        this.settings = settings;
        this.clockMillis = clockMillis;
        this.fingerprint = fingerprint.clone();
        this.dir = settings.diskEnabled() ? settings.diskRoot().resolve(Fingerprint.hex(fingerprint)) : null;
        // Entries on their way to disk are off the RAM tier's books; this bounds them.
        this.spillBufferBytes = Math.max(256L << 20, settings.ramBudgetBytes() / 4);
        this.writer = dir == null ? null : Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parley-kv-writer").daemon(true).unstarted(r));
    }

    /** Opens the tiers; with a disk tier, indexes the entries a previous run left for this fingerprint. */
    public static KvTiers open(KvSettings settings, byte[] fingerprint) {
        return open(settings, fingerprint, System::currentTimeMillis);
    }

    /** With {@code clockMillis} telling the time that cache hints expire by (tests use a fake one). */
    static KvTiers open(KvSettings settings, byte[] fingerprint, LongSupplier clockMillis) {
        KvTiers t = new KvTiers(settings, fingerprint, clockMillis);
        if (t.dir != null) {
            t.scan();
        }
        return t;
    }

    public KvSettings settings() {
        return settings;
    }

    /** The disk tier's directory for this fingerprint, or null. */
    public Path directory() {
        return dir;
    }

    private void scan() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create the KV disk tier directory " + dir, e);
        }
        List<Map.Entry<KvEntry, Long>> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(DiskFiles.TEMP_SUFFIX)) {
                    Files.deleteIfExists(f); // a write the last run did not finish
                } else if (name.endsWith(DiskFiles.SUFFIX)) {
                    try {
                        DiskFiles.Header h = DiskFiles.readHeader(f, fingerprint);
                        KvEntry e = new KvEntry(h.namespace(), h.tokens(), h.stateBytes());
                        e.where = KvEntry.Where.DISK;
                        e.file = f;
                        found.add(Map.entry(e, Files.getLastModifiedTime(f).toMillis()));
                    } catch (DiskFiles.Unreadable | IOException ex) {
                        discard(f, ex.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list the KV disk tier directory " + dir, e);
        }
        found.sort(Comparator.comparingLong(Map.Entry::getValue)); // oldest first: LRU order survives the restart
        synchronized (this) {
            for (Map.Entry<KvEntry, Long> f : found) {
                KvEntry e = f.getKey();
                e.lastUsed = ++clock;
                disk.add(e);
                index.add(e);
                diskBytes += DiskFiles.fileBytes(e.tokens.length, e.stateBytes);
            }
            evictDisk(0);
        }
        LOG.log(System.Logger.Level.INFO, "KV disk tier " + dir + ": " + disk.size() + " entries, " + KvSettings.formatSize(diskBytes)
                + " from earlier runs");
    }

    private void discard(Path f, String why) {
        discarded.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "discarding KV disk entry " + f.getFileName() + ": " + why);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + f + ": " + e.getMessage());
        }
    }

    // ---- lookup and restore ----

    /** The entry sharing the longest prefix (at least one block) with {@code prompt}, pinned; or null. */
    public synchronized Match lookup(String namespace, int[] prompt, int length) {
        if (closed) {
            return null;
        }
        PrefixIndex.Hit hit = index.longest(Fingerprint.namespace(namespace), prompt, length, e -> !e.dropped);
        if (hit == null) {
            return null;
        }
        KvEntry e = hit.entry();
        e.pins++;
        return new Match(e, hit.tokens(), e.fromShared ? Tier.SHARED : e.where == KvEntry.Where.DISK ? Tier.DISK : Tier.RAM);
    }

    /** Tokens of {@code prompt} the longest entry shares with it (0 below a block), without pinning anything. */
    public synchronized int longestPrefix(String namespace, int[] prompt, int length) {
        PrefixIndex.Hit hit = closed ? null : index.longest(Fingerprint.namespace(namespace), prompt, length, e -> !e.dropped);
        return hit == null ? 0 : hit.tokens();
    }

    /**
     * Files a state fetched from the shared tier as a RAM entry (spilled like any other), so that the
     * scheduler restores it as it restores a local one. False when it is not worth it or fits no tier.
     */
    public boolean importState(String namespace, int[] tokens, MemorySegment state, boolean named) {
        Store s = prepareStore(namespace, tokens, tokens.length, state.byteSize(), named);
        if (s == null) {
            return false;
        }
        MemorySegment.copy(state, 0, s.segment(), 0, state.byteSize()); // outside the lock: states can be large
        s.entry.fromShared = true;
        completeStore(s, state.byteSize());
        return true;
    }

    /**
     * The state of a matched entry: its RAM buffer, or its file read into {@code arena} (checked
     * against its checksum). Null when the file is gone or unreadable; an unreadable one is discarded
     * with a warning.
     */
    public MemorySegment load(Match m, Arena arena) {
        KvEntry e = m.entry;
        Path file;
        synchronized (this) {
            touch(e);
            if (e.state != null) {
                return e.state;
            }
            file = e.file;
        }
        try {
            return DiskFiles.readState(file, fingerprint, e, arena);
        } catch (NoSuchFileException ex) {
            return null; // evicted between lookup and load
        } catch (DiskFiles.Unreadable | IOException ex) {
            synchronized (this) {
                drop(e);
            }
            discard(file, ex.getMessage());
            return null;
        }
    }

    /** Unpins a match. {@code unusable}: the state was refused by the context, so the entry goes. */
    public synchronized void release(Match m, boolean unusable) {
        KvEntry e = m.entry;
        e.pins--;
        e.fromShared = false; // restored once: from now on it is a local entry like the others
        if (unusable && !e.dropped) {
            LOG.log(System.Logger.Level.WARNING, "dropping a KV entry of " + e.tokens.length + " tokens that the context refused to restore");
            drop(e);
        }
        if (e.pins == 0 && (e.dropped || e.where == KvEntry.Where.DISK)) {
            e.freeState(); // a DISK entry may still have had its buffer when the write finished mid-restore
        }
    }

    // ---- save ----

    /** Whether some entry already holds all of {@code tokens} (then it is marked used). */
    public synchronized boolean holds(String namespace, int[] tokens, int length) {
        PrefixIndex.Hit hit = index.longest(Fingerprint.namespace(namespace), tokens, length, e -> !e.dropped);
        if (hit != null && hit.tokens() == length) {
            touch(hit.entry());
            return true;
        }
        return false;
    }

    /**
     * Starts saving a sequence of {@code stateBytes}: null when it is not worth it (shorter than a
     * block, already held) or fits no tier. {@code named}: the sequence belongs to a conversation the
     * client named (a thread, a session header), which RAM keeps longer than anonymous ones.
     */
    public synchronized Store prepareStore(String namespace, int[] tokens, int length, long stateBytes, boolean named) {
        if (closed || length < PrefixIndex.BLOCK || stateBytes <= 0) {
            return null;
        }
        boolean fitsRam = stateBytes <= settings.ramBudgetBytes();
        boolean fitsDisk = dir != null && DiskFiles.fileBytes(length, stateBytes) <= settings.diskBudgetBytes();
        if (!fitsRam && !fitsDisk) {
            return null;
        }
        long ns = Fingerprint.namespace(namespace);
        PrefixIndex.Hit hit = index.longest(ns, tokens, length, e -> !e.dropped);
        if (hit != null && hit.tokens() == length) {
            touch(hit.entry());
            return null;
        }
        KvEntry e = new KvEntry(ns, java.util.Arrays.copyOf(tokens, length), stateBytes);
        e.named = named;
        e.arena = Arena.ofShared();
        e.state = e.arena.allocate(stateBytes, 64);
        return new Store(e);
    }

    /** Files a filled save ({@code written} bytes; 0 or less: the save failed and is thrown away). */
    public synchronized void completeStore(Store s, long written) {
        KvEntry e = s.entry;
        if (closed || written <= 0) {
            e.freeState();
            return;
        }
        if (written != e.stateBytes) {
            throw new IllegalStateException("saved " + written + " bytes, reserved " + e.stateBytes);
        }
        for (KvEntry old : index.prefixesOf(e.namespace, e.tokens, e.tokens.length)) {
            if (!old.dropped) {
                drop(old); // the new entry holds all of it
            }
        }
        e.lastUsed = ++clock;
        index.add(e);
        if (e.stateBytes <= settings.ramBudgetBytes()) {
            e.where = KvEntry.Where.RAM;
            ram.add(e);
            ramBytes += e.stateBytes;
            evictRam();
        } else {
            spill(e);
        }
    }

    private void evictRam() {
        if (ramBytes > settings.ramBudgetBytes()) {
            refreshPins();
        }
        while (ramBytes > settings.ramBudgetBytes()) {
            KvEntry lru = null;
            for (KvEntry e : ram) { // least recently used first; see evictsBefore for the order
                if (e.pins == 0 && (lru == null || evictsBefore(e, lru))) {
                    lru = e;
                    if (!e.named && e.pinnedUntil == 0) {
                        break;
                    }
                }
            }
            if (lru == null) {
                return;
            }
            ram.remove(lru);
            ramBytes -= lru.stateBytes;
            if (dir != null && spillingBytes + lru.stateBytes <= spillBufferBytes
                    && DiskFiles.fileBytes(lru.tokens.length, lru.stateBytes) <= settings.diskBudgetBytes()) {
                spill(lru);
            } else {
                evictedRam.incrementAndGet();
                lru.where = null;
                drop(lru);
            }
        }
    }

    /** Hands an entry (not on the RAM tier's books) to the writer. */
    private void spill(KvEntry e) {
        if (dir == null || spillingBytes + e.stateBytes > spillBufferBytes && !closed) {
            evictedRam.incrementAndGet();
            e.where = null;
            drop(e);
            return;
        }
        e.where = KvEntry.Where.SPILLING;
        spillingBytes += e.stateBytes;
        spilled.incrementAndGet();
        writer.execute(() -> write(e));
    }

    /** On the writer thread. */
    private void write(KvEntry e) {
        long fileBytes = DiskFiles.fileBytes(e.tokens.length, e.stateBytes);
        Path target;
        synchronized (this) {
            if (e.dropped) {
                spillingBytes -= e.stateBytes;
                if (e.pins == 0) {
                    e.freeState();
                }
                return;
            }
            evictDisk(fileBytes);
            diskBytes += fileBytes; // reserved while writing
            target = dir.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + DiskFiles.SUFFIX);
        }
        IOException failure = null;
        try {
            if (diskFull && usableSpace() < fileBytes) {
                // Still full: not even an attempt (it would write a partial file, only to delete it).
                throw new IOException("No space left on device (skipped: the disk tier's disk is full)");
            }
            fileWrite.write(target, fingerprint, e, e.state);
        } catch (IOException ex) {
            failure = ex;
        }
        noteDiskSpace(failure, target);
        boolean deleteFile = false;
        synchronized (this) {
            spillingBytes -= e.stateBytes;
            if (failure != null || e.dropped) {
                diskBytes -= fileBytes;
                deleteFile = failure == null;
                if (failure != null) {
                    if (!e.dropped) {
                        drop(e);
                    }
                }
            } else {
                e.where = KvEntry.Where.DISK;
                e.file = target;
                disk.add(e);
            }
            if (e.pins == 0) {
                e.freeState();
            } else if (!e.dropped) {
                // a restore is reading the buffer; the file serves the next one
                return;
            }
        }
        if (deleteFile) {
            deleteQuietly(target);
        }
    }

    /**
     * On the writer thread, after each write: a full disk is warned about once per interval (not once per
     * entry: a busy server saves several a second) and shows in {@link #diskFull()}; any other failure
     * is warned about each time. The entry is dropped either way; the RAM tier and the slots go on.
     */
    private void noteDiskSpace(IOException failure, Path target) {
        if (failure == null) {
            if (diskFull) {
                diskFull = false;
                LOG.log(System.Logger.Level.INFO, "the KV disk tier writes again in " + dir + " (" + skippedSinceWarning + " entries skipped)");
                skippedSinceWarning = 0;
            }
            return;
        }
        if (!isDiskFull(failure)) {
            LOG.log(System.Logger.Level.WARNING, "cannot write a KV entry to " + target + ": " + failure.getMessage());
            return;
        }
        long now = System.nanoTime();
        skippedSinceWarning++;
        if (!diskFull || now - fullWarnedAt >= FULL_WARNING_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "the KV disk tier's disk is full (" + dir + "): entries are not saved to disk until space "
                    + "is freed (" + skippedSinceWarning + " skipped since the last warning)");
            fullWarnedAt = now;
            skippedSinceWarning = 0;
        }
        diskFull = true;
    }

    static boolean isDiskFull(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            m = fs.getReason();
        }
        return m.contains("No space left on device") || m.contains("Disk quota exceeded");
    }

    private long usableSpace() {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Whether the disk tier's last write failed for a full disk: its writes are skipped until space returns. */
    public boolean diskFull() {
        return diskFull;
    }

    /**
     * Whether {@code e} goes before {@code other}, which is more recently used: unpinned anonymous entries,
     * then unpinned named ones, then pinned ones by expiry.
     */
    private static boolean evictsBefore(KvEntry e, KvEntry other) {
        int re = rank(e);
        int ro = rank(other);
        return re < ro || re == 2 && ro == 2 && e.pinnedUntil < other.pinnedUntil;
    }

    private static int rank(KvEntry e) {
        return e.pinnedUntil > 0 ? 2 : e.named ? 1 : 0;
    }

    /** Deletes least recently used files (pinned ones last) until {@code incoming} more bytes fit the disk budget. */
    private void evictDisk(long incoming) {
        if (diskBytes + incoming <= settings.diskBudgetBytes()) {
            return;
        }
        refreshPins();
        List<KvEntry> order = new ArrayList<>(disk);
        order.sort(Comparator.comparingLong((KvEntry e) -> e.pinnedUntil)); // stable: unpinned (0) first, each group LRU first
        var it = order.iterator();
        while (diskBytes + incoming > settings.diskBudgetBytes() && it.hasNext()) {
            KvEntry e = it.next();
            if (e.pins > 0) {
                continue;
            }
            disk.remove(e);
            diskBytes -= DiskFiles.fileBytes(e.tokens.length, e.stateBytes);
            evictedDisk.incrementAndGet();
            e.dropped = true;
            index.remove(e);
            deleteQuietly(e.file);
        }
    }

    /** Removes an entry from the index and its tier. Under the lock. */
    private void drop(KvEntry e) {
        e.dropped = true;
        index.remove(e);
        if (e.where == KvEntry.Where.RAM && ram.remove(e)) {
            ramBytes -= e.stateBytes;
        } else if (e.where == KvEntry.Where.DISK && disk.remove(e)) {
            diskBytes -= DiskFiles.fileBytes(e.tokens.length, e.stateBytes);
            deleteQuietly(e.file);
        }
        // SPILLING: the writer sees dropped and cleans up
        if (e.pins == 0 && e.where != KvEntry.Where.SPILLING) {
            e.freeState();
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ex) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete KV entry " + f + ": " + ex.getMessage());
        }
    }

    private void touch(KvEntry e) {
        e.lastUsed = ++clock;
        if (e.where == KvEntry.Where.RAM && ram.remove(e)) {
            ram.add(e);
        } else if (e.where == KvEntry.Where.DISK && disk.remove(e)) {
            disk.add(e);
        }
    }

    // ---- cache hints ----

    /**
     * Keeps an entry holding the first {@code length} of {@code tokens} for {@code ttlMillis} (a client's
     * cache hint): it is evicted after every unpinned entry. Renewing a pin (the same prefix again) moves
     * its expiry later; pins it makes redundant (shorter prefixes of it, expiring no later) go. Prefixes
     * shorter than a block are not pinned.
     */
    public synchronized void pin(String namespace, int[] tokens, int length, long ttlMillis) {
        if (closed || length < PrefixIndex.BLOCK || ttlMillis <= 0) {
            return;
        }
        long ns = Fingerprint.namespace(namespace);
        long until = clockMillis.getAsLong() + ttlMillis;
        int owned = 0;
        for (var it = cachePins.iterator(); it.hasNext(); ) {
            CachePin p = it.next();
            if (p.namespace != ns) {
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
        for (var it = cachePins.iterator(); owned >= MAX_PINS_PER_OWNER && it.hasNext(); ) {
            if (it.next().namespace == ns) {
                it.remove(); // the owner's oldest lapses
                owned--;
            }
        }
        cachePins.add(new CachePin(ns, java.util.Arrays.copyOf(tokens, length), until));
    }

    /** Whether a live pin covers more than the first {@code keep} of {@code tokens}' first {@code length} (cutting there loses it). */
    public synchronized boolean pinnedBeyond(String namespace, int[] tokens, int length, int keep) {
        long ns = Fingerprint.namespace(namespace);
        long now = clockMillis.getAsLong();
        for (CachePin p : cachePins) {
            if (p.namespace == ns && p.until > now && p.tokens.length > keep && p.tokens.length <= length
                    && PrefixIndex.commonPrefix(p.tokens, tokens, length) == p.tokens.length) {
                return true;
            }
        }
        return false;
    }

    /** Live pins (for tests and logs). */
    public synchronized int pinCount() {
        refreshPins();
        return cachePins.size();
    }

    /**
     * Drops expired pins and marks, for each live one, the most recently used entry holding its prefix
     * (newest pins first, so that an owner over its share loses its oldest). Under the lock.
     */
    private void refreshPins() {
        long now = clockMillis.getAsLong();
        cachePins.removeIf(p -> p.until <= now);
        for (KvEntry e : pinned) {
            e.pinnedUntil = 0;
        }
        pinned.clear();
        long budget = settings.pinBudgetBytes();
        Map<Long, Long> owned = new java.util.HashMap<>();
        for (int i = cachePins.size() - 1; i >= 0; i--) {
            CachePin p = cachePins.get(i);
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
            if (bytes > budget) {
                cachePins.remove(i); // over the owner's share: this (older) pin lapses
                continue;
            }
            owned.put(p.namespace, bytes);
            holder.pinnedUntil = p.until;
            pinned.add(holder);
        }
    }

    // ---- visibility and shutdown ----

    public synchronized KvTierStats stats() {
        return new KvTierStats(ram.size(), ramBytes, disk.size(), diskBytes, spillingBytes, spilled.get(), evictedRam.get(),
                evictedDisk.get(), discarded.get());
    }

    /** Waits until every entry handed to the writer is on disk (or failed). For tests and shutdown. */
    public void awaitWrites() {
        if (writer == null) {
            return;
        }
        try {
            writer.submit(() -> { }).get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "KV writes did not finish: " + e);
        }
    }

    /**
     * Writes what RAM holds to disk (so that it survives the restart), waits for the writer, and frees
     * every buffer. Without a disk tier, RAM entries are simply freed.
     */
    @Override
    public void close() {
        List<KvEntry> toWrite;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toWrite = new ArrayList<>(ram);
            ram.clear();
            ramBytes = 0;
            for (KvEntry e : toWrite) { // least recent first: if the disk budget is short, the later writes evict them
                if (dir != null && DiskFiles.fileBytes(e.tokens.length, e.stateBytes) <= settings.diskBudgetBytes()) {
                    e.where = KvEntry.Where.SPILLING;
                    spillingBytes += e.stateBytes;
                    writer.execute(() -> write(e));
                } else {
                    e.dropped = true;
                    e.freeState();
                }
            }
        }
        if (writer != null) {
            writer.shutdown();
            try {
                if (!writer.awaitTermination(2, TimeUnit.MINUTES)) {
                    LOG.log(System.Logger.Level.WARNING, "KV writer did not finish within 2 minutes; some entries are lost");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
