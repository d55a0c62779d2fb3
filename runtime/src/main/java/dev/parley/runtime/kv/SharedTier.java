package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The shared KV tier: conversation states every replica can find, below each replica's RAM and disk
 * tiers. After each completed turn the scheduler copies its slot's state into an {@link Upload}; a
 * writer thread stores it (a full queue drops it, counted), so nothing of the store's speed reaches
 * the request path. A request whose prompt the local tiers and slots miss looks here; the state is
 * fetched only when {@link RestoreCost} says that beats prefill, then handed to the local tiers, from
 * which the scheduler restores it as from RAM.
 *
 * <p>An entry's key is its model fingerprint and the chain hash of its last full block of tokens
 * (which covers the owner's namespace), so another model's or another owner's state is never found;
 * its index and then its header are checked against both anyway. A store that cannot be reached
 * never fails a request: the tier says so once, reports down, and probes it with a growing backoff
 * while lookups miss and writes are dropped. An entry that does not read back whole and sound is
 * deleted.
 */
public final class SharedTier implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.kv.shared");
    private static final int QUEUE = 32;
    private static final long SWEEP_NANOS = 60_000_000_000L;

    /** Timings for metrics; called on request threads and the writer thread. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void fetched(long bytes, long nanos) {}

        default void written(long bytes, long nanos) {}
    }

    /** An entry a lookup found: {@link #tokens()} prompt tokens shared, {@link #stateBytes()} to fetch. */
    public record Found(SharedKvStore.Located at, int tokens) {
        public long stateBytes() {
            return at.index().stateBytes();
        }
    }

    /** A fetched state: the tokens it holds and its bytes (in the caller's arena). */
    public record Fetched(int[] tokens, MemorySegment state) {}

    /** A state on its way to the store: the scheduler fills {@link #segment()}, then {@link #commit}s it. */
    public static final class Upload {
        private final long namespace;
        private final int[] tokens;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment state;

        private Upload(long namespace, int[] tokens, long bytes) {
            this.namespace = namespace;
            this.tokens = tokens;
            this.state = arena.allocate(bytes, 64);
        }

        public MemorySegment segment() {
            return state;
        }
    }

    /** Wakes the writer at close (it is never written). */
    private static final Upload STOP = new Upload(0, new int[0], 1);

    private final SharedKvStore store;
    private final byte[] fingerprint;
    private final String fingerprintHex;
    private final Listener listener;
    private final long queueBytesMax;
    private final RestoreCost cost = new RestoreCost();
    private final ArrayBlockingQueue<Upload> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    private volatile boolean up = true;
    private final Object probeLock = new Object();
    private Thread probe;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();

    SharedTier(SharedKvStore store, byte[] fingerprint, long queueBytesMax, Listener listener) {
        this.store = store;
        this.fingerprint = fingerprint.clone();
        this.fingerprintHex = Fingerprint.hex(fingerprint);
        this.queueBytesMax = queueBytesMax;
        this.listener = listener;
        this.writer = Thread.ofPlatform().name("parley-kv-shared-writer").daemon(true).start(this::writeLoop);
        try {
            store.ping();
            LOG.log(System.Logger.Level.INFO, "KV shared tier: " + store.describe());
        } catch (IOException | RuntimeException e) {
            failed("at start", e);
        }
    }

    /**
     * Opens the tier {@code settings} name for states of this {@code fingerprint}; at most
     * {@code queueBytesMax} of state waits for the writer. A store that is down is not an error here.
     */
    public static SharedTier open(SharedSettings settings, byte[] fingerprint, long queueBytesMax, Listener listener) {
        SharedKvStore store = switch (settings.target()) {
            case SharedSettings.Dir d -> new FileKvStore(d.root(), fingerprint, settings.ttl());
            case SharedSettings.Redis r -> new RedisKvStore(r.host(), r.port(), r.database(), r.tls(), settings.password(), fingerprint,
                    settings.ttl());
        };
        return new SharedTier(store, fingerprint, queueBytesMax, listener);
    }

    public boolean up() {
        return up;
    }

    public String describe() {
        return store.describe();
    }

    /** The estimates deciding fetch against prefill (for logs and /health). */
    public String costs() {
        return cost.describe();
    }

    public SharedTierStats stats() {
        return new SharedTierStats(store.backend(), up, hits.get(), misses.get(), skipped.get(), bytesRead.get(), bytesWritten.get(),
                writes.get(), writeFailures.get(), dropped.get(), discarded.get(), superseded.get(), queue.size());
    }

    /** A prefill of {@code tokens} took {@code nanos} (the scheduler measures each). */
    public void notePrefill(int tokens, long nanos) {
        cost.notePrefill(tokens, nanos);
    }

    private String key(long chainHash) {
        return fingerprintHex + "/" + Long.toHexString(chainHash);
    }

    // ---- lookup ----

    /**
     * The entry sharing the longest prefix (at least one block) with the prompt in {@code namespace};
     * null when there is none or the store is down.
     */
    public Found lookup(String namespace, int[] prompt, int length) {
        if (!up || closed) {
            return null;
        }
        long ns = Fingerprint.namespace(namespace);
        long[] chain = PrefixIndex.chain(ns, prompt, length);
        if (chain.length == 0) {
            return null;
        }
        List<String> keys = new ArrayList<>(chain.length);
        for (int i = chain.length - 1; i >= 0; i--) {
            keys.add(key(chain[i]));
        }
        long t0 = System.nanoTime();
        SharedKvStore.Located at;
        try {
            at = store.find(keys);
        } catch (IOException | RuntimeException e) {
            failed("looking up a prompt", e);
            return null;
        }
        cost.noteRoundTrip(System.nanoTime() - t0);
        if (at == null || at.index().namespace() != ns || !Arrays.equals(at.index().fingerprint(), fingerprint)) {
            misses.incrementAndGet();
            return null;
        }
        int shared = at.index().sharedWith(prompt, length);
        if (shared < PrefixIndex.BLOCK) {
            misses.incrementAndGet();
            return null;
        }
        return new Found(at, shared);
    }

    /** Whether fetching {@code f} beats prefilling the {@code tokens} it would spare (counted as skipped when not). */
    public boolean worthFetching(Found f, int tokens) {
        if (cost.worthFetching(f.at().index().blobBytes(), tokens)) {
            return true;
        }
        skipped.incrementAndGet();
        return false;
    }

    /**
     * Reads a found entry into {@code arena} and checks it whole: checksum, fingerprint, namespace, and
     * that its tokens share at least a block with {@code prompt}. Null when it is gone, the store is
     * down, or it is unsound (then it is deleted).
     */
    public Fetched fetch(Found f, String namespace, int[] prompt, int length, Arena arena) {
        if (!up) {
            return null;
        }
        long t0 = System.nanoTime();
        MemorySegment all;
        try {
            all = store.read(f.at(), arena);
        } catch (IOException | RuntimeException e) {
            failed("reading an entry", e);
            return null;
        }
        if (all == null) {
            misses.incrementAndGet();
            return null; // evicted or expired since the lookup
        }
        long nanos = System.nanoTime() - t0;
        String why;
        try {
            DiskFiles.Parsed p = DiskFiles.parse(all, fingerprint);
            DiskFiles.Header h = p.header();
            // A file may have been replaced by a newer whole entry since the lookup (another replica's
            // later turn): sound and the owner's, it serves for what it shares with the prompt.
            if (h.namespace() != Fingerprint.namespace(namespace) || PrefixIndex.commonPrefix(h.tokens(), prompt, length) < PrefixIndex.BLOCK) {
                why = "it does not hold what its key says (another owner's, or other tokens)";
            } else {
                hits.incrementAndGet();
                bytesRead.addAndGet(all.byteSize());
                cost.noteTransfer(all.byteSize(), nanos);
                listener.fetched(all.byteSize(), nanos);
                return new Fetched(h.tokens(), p.state());
            }
        } catch (DiskFiles.Unreadable e) {
            why = e.getMessage();
        }
        discarded.incrementAndGet();
        misses.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "deleting a shared KV entry (" + f.at().key() + "): " + why);
        try {
            store.delete(f.at());
        } catch (IOException | RuntimeException e) {
            failed("deleting an unreadable entry", e);
        }
        return null;
    }

    // ---- writes ----

    /**
     * Room for a state of {@code stateBytes} holding the first {@code length} of {@code tokens}; null
     * (counted as dropped) when the queue is full or the store is down, before anything is copied.
     */
    public Upload prepare(String namespace, int[] tokens, int length, long stateBytes) {
        if (closed || length < PrefixIndex.BLOCK || stateBytes <= 0) {
            return null;
        }
        if (!up || queue.remainingCapacity() == 0 || queuedBytes.get() + stateBytes > queueBytesMax) {
            dropped.incrementAndGet();
            return null;
        }
        queuedBytes.addAndGet(stateBytes);
        try {
            return new Upload(Fingerprint.namespace(namespace), Arrays.copyOf(tokens, length), stateBytes);
        } catch (OutOfMemoryError | RuntimeException e) {
            queuedBytes.addAndGet(-stateBytes);
            dropped.incrementAndGet();
            return null;
        }
    }

    /** Queues a filled upload ({@code written} bytes; 0 or less: the copy failed and it is thrown away). */
    public void commit(Upload u, long written) {
        if (written != u.state.byteSize() || closed || !queue.offer(u)) {
            if (written > 0 && !closed) {
                dropped.incrementAndGet();
            }
            release(u);
        }
    }

    private void release(Upload u) {
        queuedBytes.addAndGet(-u.state.byteSize());
        u.arena.close();
    }

    private void writeLoop() {
        long lastSweep = System.nanoTime();
        while (true) {
            Upload u;
            try {
                u = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (u == STOP || u == null && closed) {
                return;
            } else if (u != null) {
                write(u);
            }
            if (up && System.nanoTime() - lastSweep > SWEEP_NANOS) {
                lastSweep = System.nanoTime();
                try {
                    store.sweep();
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "shared KV sweep: " + e);
                }
            }
        }
    }

    private void write(Upload u) {
        try {
            if (!up) {
                dropped.incrementAndGet();
                return;
            }
            long[] chain = PrefixIndex.chain(u.namespace, u.tokens, u.tokens.length);
            long t0 = System.nanoTime();
            store.write(key(chain[chain.length - 1]), u.namespace, u.tokens, u.state);
            long nanos = System.nanoTime() - t0;
            long bytes = DiskFiles.fileBytes(u.tokens.length, u.state.byteSize());
            writes.incrementAndGet();
            bytesWritten.addAndGet(bytes);
            listener.written(bytes, nanos);
            supersede(u, chain);
        } catch (IOException | RuntimeException e) {
            writeFailures.incrementAndGet();
            failed("writing an entry", e);
        } finally {
            release(u);
        }
    }

    /**
     * Deletes the entries the one just written holds all of (the conversation's earlier turns), as the
     * local tiers drop the entries a longer save extends: without this every turn would stay until the
     * TTL. On the writer thread, after the write.
     */
    private void supersede(Upload u, long[] chain) throws IOException {
        if (chain.length < 2) {
            return;
        }
        List<String> earlier = new ArrayList<>(chain.length - 1);
        for (int i = chain.length - 2; i >= 0; i--) {
            earlier.add(key(chain[i]));
        }
        for (SharedKvStore.Located old : store.findAll(earlier)) {
            SharedIndex x = old.index();
            if (x.namespace() == u.namespace && Arrays.equals(x.fingerprint(), fingerprint)
                    && x.sharedWith(u.tokens, u.tokens.length) == x.tokenCount()) {
                store.delete(old);
                superseded.incrementAndGet();
            }
        }
    }

    /** Waits until the writer has taken every queued state (tests). */
    public void awaitWrites() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (queuedBytes.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---- faults ----

    /** The store failed: said once, reported down, probed until it answers again. */
    private void failed(String doing, Exception e) {
        synchronized (probeLock) {
            if (!up || closed) {
                return;
            }
            up = false;
            LOG.log(System.Logger.Level.WARNING, "KV shared tier " + store.describe() + " is unreachable (" + doing + ": " + e.getMessage()
                    + "); requests go on with the local tiers and prefill, and it is retried with backoff");
            probe = Thread.ofVirtual().name("parley-kv-shared-probe").start(this::probeLoop);
        }
    }

    private void probeLoop() {
        long backoffMillis = 500;
        while (!closed) {
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                return;
            }
            try {
                store.ping();
                synchronized (probeLock) {
                    up = true;
                    probe = null;
                }
                LOG.log(System.Logger.Level.INFO, "KV shared tier " + store.describe() + " is reachable again");
                return;
            } catch (IOException | RuntimeException e) {
                backoffMillis = Math.min(30_000, backoffMillis * 2);
            }
        }
    }

    /** Stops the writer after what is queued (bounded), and the client. */
    @Override
    public void close() {
        closed = true;
        queue.offer(STOP); // when the queue is full the writer is busy anyway, and sees closed after it
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Upload u;
        while ((u = queue.poll()) != null) {
            if (u != STOP) {
                release(u);
            }
        }
        synchronized (probeLock) {
            if (probe != null) {
                probe.interrupt();
            }
        }
        store.close();
    }
}
