package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Saved KV states behind the slots: a host-RAM tier with a byte budget, and a disk tier with its own
 * budget that survives restarts. Entries are keyed by their namespace (a tenant salt) and their tokens;
 * a lookup finds the entry sharing the longest prefix with a prompt ({@link PrefixIndex}).
 *
 * <p>This class is the seam the scheduler sees (lookup, load, release; prepare and complete a store;
 * pins) and the one lock over the parts behind it: each tier's books are a {@link BudgetedTier} (the
 * same type for RAM and disk), each tier's bytes a {@link TierStore} ({@link RamStore} buffers,
 * {@link DiskStore} files), the disk writes run on the {@link WriteBack} thread, and cache hints are
 * {@link CachePins}. What moves an entry between them is here: when RAM passes its budget, its
 * evicted entries are demoted to the writer (or dropped when there is no disk tier, or the write
 * buffer is full); when disk passes its budget, its evicted files are deleted. Saving a sequence drops
 * the entries it extends; a sequence that an entry already contains is not saved again.
 *
 * <p>Cache hints ({@link #pin}) keep a prompt prefix for a while: the most recently used entry holding
 * it is pinned until the hint expires. RAM evicts unpinned anonymous entries first (least recently
 * used first), then unpinned named ones, then pinned ones, the earliest expiry first; disk the same
 * without the names ({@link KvEntry#RAM_ORDER}, {@link KvEntry#DISK_ORDER}); a pinned entry leaving RAM
 * still goes to disk when there is one. One owner's pinned entries may take at most
 * {@link KvSettings#pinBudgetBytes()}; beyond it, and beyond {@link #MAX_PINS_PER_OWNER} pins, the
 * owner's oldest pins lapse. Only the writer thread does file writes; the caller (the scheduler) reads
 * a file only for the entry it is about to restore. Thread-safe: one lock guards the bookkeeping, and
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


    private final KvSettings settings;
    private final PrefixIndex index = new PrefixIndex();
    private final CachePins pins;
    private final RamStore ramStore = new RamStore();
    private final BudgetedTier<KvEntry> ram;
    /** The disk tier's store, books and writer: all three null without a disk tier. */
    private final DiskStore diskStore;
    private final BudgetedTier<KvEntry> disk;
    private final WriteBack writes;
    /** Orders {@link KvEntry#lastUsed} across both tiers. */
    private long clock;
    private boolean closed;
    private final AtomicLong spilled = new AtomicLong();
    private final AtomicLong evictedRam = new AtomicLong();
    private final AtomicLong evictedDisk = new AtomicLong();

    private KvTiers(KvSettings settings, byte[] fingerprint, LongSupplier clockMillis) {
        this.settings = settings;
        this.pins = new CachePins(clockMillis, settings.pinBudgetBytes(), MAX_PINS_PER_OWNER);
        this.ram = new BudgetedTier<>("ram", settings.ramBudgetBytes(), ramStore::footprint, KvEntry::inUse, KvEntry.RAM_ORDER, this::demote);
        if (settings.diskEnabled()) {
            DiskStore store = new DiskStore(settings.diskRoot(), fingerprint.clone());
            this.diskStore = store;
            this.disk = new BudgetedTier<>("disk", settings.diskBudgetBytes(), store::footprint, KvEntry::inUse, KvEntry.DISK_ORDER,
                    this::deleteFromDisk);
            this.writes = new WriteBack(WriteBack.limitFor(settings.ramBudgetBytes()));
        } else {
            this.diskStore = null;
            this.disk = null;
            this.writes = null;
        }
    }

    /** Opens the tiers; with a disk tier, indexes the entries a previous run left for this fingerprint. */
    public static KvTiers open(KvSettings settings, byte[] fingerprint) {
        return open(settings, fingerprint, System::currentTimeMillis);
    }

    /** With {@code clockMillis} telling the time that cache hints expire by (tests use a fake one). */
    static KvTiers open(KvSettings settings, byte[] fingerprint, LongSupplier clockMillis) {
        KvTiers t = new KvTiers(settings, fingerprint, clockMillis);
        if (t.diskStore != null) {
            t.recover();
        }
        return t;
    }

    public KvSettings settings() {
        return settings;
    }

    /** The disk tier's directory for this fingerprint, or null. */
    public Path directory() {
        return diskStore == null ? null : diskStore.directory();
    }

    /** Tests: disk writes go through {@code w} from now on. */
    void writeFilesWith(DiskStore.FileWrite w) {
        diskStore.writeFilesWith(w);
    }

    /** Files what earlier runs left on disk, in their LRU order, within the disk budget. */
    private void recover() {
        List<KvEntry> found = diskStore.recover();
        int entries;
        long bytes;
        synchronized (this) {
            for (KvEntry e : found) {
                e.lastUsed = ++clock;
                disk.add(e);
                index.add(e);
            }
            makeRoom(disk, 0);
            entries = disk.size();
            bytes = disk.bytes();
        }
        LOG.log(System.Logger.Level.INFO, "KV disk tier " + diskStore.directory() + ": " + entries + " entries, " + KvSettings.formatSize(bytes)
                + " from earlier runs");
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
                return ramStore.read(e, arena); // in RAM, on its way to disk, or just written while matched
            }
            file = e.file; // set once, when the entry reached disk
        }
        if (file == null) {
            return null; // freed by close while matched
        }
        try {
            return diskStore.read(e, arena);
        } catch (NoSuchFileException ex) {
            return null; // evicted between lookup and load
        } catch (DiskFiles.Unreadable | IOException ex) {
            synchronized (this) {
                drop(e);
            }
            diskStore.discard(file, ex.getMessage());
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
            ramStore.free(e); // a DISK entry may still have had its buffer when the write finished mid-restore
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
        boolean fitsRam = ram.couldHold(stateBytes);
        boolean fitsDisk = disk != null && disk.couldHold(DiskFiles.fileBytes(length, stateBytes));
        if (!fitsRam && !fitsDisk) {
            return null;
        }
        long ns = Fingerprint.namespace(namespace);
        PrefixIndex.Hit hit = index.longest(ns, tokens, length, e -> !e.dropped);
        if (hit != null && hit.tokens() == length) {
            touch(hit.entry());
            return null;
        }
        KvEntry e = new KvEntry(ns, Arrays.copyOf(tokens, length), stateBytes);
        e.named = named;
        ramStore.allocate(e);
        return new Store(e);
    }

    /** Files a filled save ({@code written} bytes; 0 or less: the save failed and is thrown away). */
    public synchronized void completeStore(Store s, long written) {
        KvEntry e = s.entry;
        if (closed || written <= 0) {
            ramStore.free(e);
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
        if (ram.couldHold(e.stateBytes)) {
            e.where = KvEntry.Where.RAM;
            ram.add(e);
            makeRoom(ram, 0);
        } else {
            spill(e);
        }
    }

    /** Evicts from {@code tier} until {@code incoming} more bytes fit, by pins marked afresh. Under the lock. */
    private void makeRoom(BudgetedTier<KvEntry> tier, long incoming) {
        if (!tier.fits(incoming)) {
            pins.refresh(index);
            tier.evict(incoming);
        }
    }

    /** The RAM tier evicted {@code e}: to disk when the writer has room and the disk could hold it, else gone. */
    private void demote(KvEntry e) {
        if (disk != null && writes.hasRoom(e.stateBytes) && disk.couldHold(diskStore.footprint(e))) {
            spill(e);
        } else {
            evictedRam.incrementAndGet();
            e.where = null;
            drop(e);
        }
    }

    /** The disk tier evicted {@code e}: its file goes. */
    private void deleteFromDisk(KvEntry e) {
        evictedDisk.incrementAndGet();
        e.dropped = true;
        index.remove(e);
        diskStore.free(e);
    }

    /** Hands an entry (not on the RAM tier's books) to the writer. */
    private void spill(KvEntry e) {
        if (disk == null || !writes.hasRoom(e.stateBytes) && !closed) {
            evictedRam.incrementAndGet();
            e.where = null;
            drop(e);
            return;
        }
        e.where = KvEntry.Where.SPILLING;
        spilled.incrementAndGet();
        writes.submit(e.stateBytes, () -> writeBack(e));
    }

    /**
     * On the writer thread: makes room on disk and reserves the file's bytes, writes with no lock held,
     * then files the entry on disk (or drops it when the write failed). Its RAM buffer is freed unless
     * a restore is reading it.
     */
    private void writeBack(KvEntry e) {
        Path target;
        synchronized (this) {
            if (e.dropped) {
                writes.done(e.stateBytes);
                if (e.pins == 0) {
                    ramStore.free(e);
                }
                return;
            }
            makeRoom(disk, diskStore.footprint(e));
            disk.reserve(e); // counted while writing
            target = diskStore.newFile();
        }
        IOException failure = diskStore.write(e, target);
        boolean deleteFile = false;
        synchronized (this) {
            writes.done(e.stateBytes);
            if (failure != null || e.dropped) {
                disk.unreserve(e);
                deleteFile = failure == null;
                if (failure != null && !e.dropped) {
                    drop(e);
                }
            } else {
                e.where = KvEntry.Where.DISK;
                e.file = target;
                disk.admitReserved(e);
            }
            if (e.pins == 0) {
                ramStore.free(e);
            } else if (!e.dropped) {
                // a restore is reading the buffer; the file serves the next one
                return;
            }
        }
        if (deleteFile) {
            diskStore.delete(target);
        }
    }

    /** Whether the disk tier's last write failed for a full disk: its writes are skipped until space returns. */
    public boolean diskFull() {
        return diskStore != null && diskStore.full();
    }

    /** Removes an entry from the index and its tier. Under the lock. */
    private void drop(KvEntry e) {
        e.dropped = true;
        index.remove(e);
        if (e.where == KvEntry.Where.RAM) {
            ram.remove(e);
        } else if (e.where == KvEntry.Where.DISK && disk.remove(e)) {
            diskStore.free(e);
        }
        // SPILLING: the writer sees dropped and cleans up
        if (e.pins == 0 && e.where != KvEntry.Where.SPILLING) {
            ramStore.free(e);
        }
    }

    private void touch(KvEntry e) {
        e.lastUsed = ++clock;
        if (e.where == KvEntry.Where.RAM) {
            ram.touch(e);
        } else if (e.where == KvEntry.Where.DISK) {
            disk.touch(e);
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
        if (!closed) {
            pins.pin(Fingerprint.namespace(namespace), tokens, length, ttlMillis);
        }
    }

    /** Whether a live pin covers more than the first {@code keep} of {@code tokens}' first {@code length} (cutting there loses it). */
    public synchronized boolean pinnedBeyond(String namespace, int[] tokens, int length, int keep) {
        return pins.pinnedBeyond(Fingerprint.namespace(namespace), tokens, length, keep);
    }

    /** Live pins (for tests and logs). */
    public synchronized int pinCount() {
        return pins.count(index);
    }

    // ---- visibility and shutdown ----

    public synchronized KvTierStats stats() {
        return new KvTierStats(ram.size(), ram.bytes(), disk == null ? 0 : disk.size(), disk == null ? 0 : disk.bytes(),
                writes == null ? 0 : writes.queuedBytes(), spilled.get(), evictedRam.get(), evictedDisk.get(),
                diskStore == null ? 0 : diskStore.discarded());
    }

    /** Waits until every entry handed to the writer is on disk (or failed). For tests and shutdown. */
    public void awaitWrites() {
        if (writes != null) {
            writes.await();
        }
    }

    /**
     * Writes what RAM holds to disk (so that it survives the restart), waits for the writer, and frees
     * every buffer. Without a disk tier, RAM entries are simply freed.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (KvEntry e : ram.drain()) { // least recent first: if the disk budget is short, the later writes evict them
                if (disk != null && disk.couldHold(diskStore.footprint(e))) {
                    e.where = KvEntry.Where.SPILLING;
                    writes.submit(e.stateBytes, () -> writeBack(e)); // all of it: beyond the write buffer's bound
                } else {
                    e.dropped = true;
                    ramStore.free(e);
                }
            }
        }
        if (writes != null) {
            writes.close();
        }
    }
}
