package dev.parley.server.models;

import dev.parley.server.modelref.ModelReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;

/**
 * The models of a {@link ModelCatalog} and the ones loaded now. A model loads on its first use, on the
 * thread of the request that needed it; requests for a model that is loading wait for it (within their
 * own timeout) and never see it half-loaded. A loaded model that nobody holds is unloaded once it has
 * been idle for its keep-alive; when a new load would exceed the most loaded models or the memory budget,
 * the least recently used idle models are unloaded first; when all that would have to go are busy, the
 * request waits (within its timeout) for one to finish. A model is never unloaded while a request holds a
 * {@link Lease} on it.
 *
 * <p>Generic over what a loaded model is ({@code E}: an Engine in the server) so that the bookkeeping is
 * tested without native code.
 *
 * @param <E> a loaded model
 */
public final class ModelRegistry<E> implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.models");

    /** Loads a model; it may take long and may fail (the failure reaches every request that waited). */
    public interface Loader<E> {
        E load(String name, ModelReference reference);
    }

    /** Frees a loaded model. */
    public interface Unloader<E> {
        void unload(String name, E model);
    }

    /**
     * @param maxLoaded        most models loaded at once
     * @param keepAlive        how long an idle model stays loaded; negative: for ever; zero: unloaded when its last request ends
     * @param memoryBudgetBytes what all loaded models together may take (0: no budget)
     */
    public record Limits(int maxLoaded, Duration keepAlive, long memoryBudgetBytes) {
        public Limits {
            if (maxLoaded < 1) {
                throw new IllegalArgumentException("maxLoaded must be at least 1, got " + maxLoaded);
            }
        }
    }

    /** A loaded (or loading) model as {@code /api/ps} shows it. */
    public record Loaded(String name, long bytes, boolean ready, int inUse, long expiresAtMillis) {
        /** {@code expiresAtMillis} when the model stays loaded for ever or is in use. */
        public static final long NEVER = Long.MAX_VALUE;
    }

    private final ModelCatalog catalog;
    private final Loader<E> loader;
    private final Unloader<E> unloader;
    private final ToLongFunction<String> footprint;
    private final Limits limits;
    /** Insertion order is irrelevant; LRU order comes from {@link Entry#lastUsedNanos}. */
    private final Map<String, Entry<E>> loaded = new LinkedHashMap<>();
    private final ScheduledExecutorService reaper;
    private boolean closed;

    /**
     * @param footprint the bytes a model takes once loaded (its file size, from the device plan), asked before it loads
     * @param reapEvery how often idle models are looked at
     */
    public ModelRegistry(ModelCatalog catalog, Limits limits, ToLongFunction<String> footprint, Loader<E> loader, Unloader<E> unloader,
                         Duration reapEvery) {
        this.catalog = catalog;
        this.limits = limits;
        this.footprint = footprint;
        this.loader = loader;
        this.unloader = unloader;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-model-reaper");
            t.setDaemon(true);
            return t;
        });
        reaper.scheduleWithFixedDelay(this::reap, reapEvery.toMillis(), reapEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    public ModelCatalog catalog() {
        return catalog;
    }

    /** One model, loaded or loading; guarded by the registry's lock except {@link #ready}. */
    private static final class Entry<E> {
        final String name;
        final long bytes;
        final CompletableFuture<E> ready = new CompletableFuture<>();
        int leases;
        long lastUsedNanos = System.nanoTime();
        long lastUsedMillis = System.currentTimeMillis();
        Duration keepAlive;

        Entry(String name, long bytes, Duration keepAlive) {
            this.name = name;
            this.bytes = bytes;
            this.keepAlive = keepAlive;
        }

        boolean idle() {
            return leases == 0 && ready.isDone() && !ready.isCompletedExceptionally();
        }
    }

    /** A request's hold on a loaded model: the model is not unloaded until every lease is closed. */
    public final class Lease implements AutoCloseable {
        private final Entry<E> entry;
        private final E model;
        private boolean closed;

        private Lease(Entry<E> entry, E model) {
            this.entry = entry;
            this.model = model;
        }

        public String name() {
            return entry.name;
        }

        public E model() {
            return model;
        }

        @Override
        public void close() {
            List<Entry<E>> gone = List.of();
            synchronized (ModelRegistry.this) {
                if (closed) {
                    return;
                }
                closed = true;
                entry.leases--;
                ModelRegistry.this.notifyAll(); // a load waiting for room may go on
                entry.lastUsedNanos = System.nanoTime();
                entry.lastUsedMillis = System.currentTimeMillis();
                if (entry.leases == 0 && entry.keepAlive.isZero() && loaded.get(entry.name) == entry) {
                    loaded.remove(entry.name);
                    gone = List.of(entry);
                }
            }
            unload(gone, "its keep-alive is 0");
        }
    }

    /**
     * The model {@code name} (null: the default one), loaded if it is not, held until the lease is closed.
     * {@code keepAlive} (null: the server's) replaces the model's keep-alive from now on, as Ollama's per-request
     * {@code keep_alive} does.
     *
     * @throws UnknownModelException  no such model
     * @throws ModelCapacityException it cannot fit ever, or not before {@code wait} ran out, with the numbers
     * @throws TimeoutException       it was still loading after {@code wait}
     */
    public Lease acquire(String name, Duration keepAlive, Duration wait) throws InterruptedException, TimeoutException {
        String wanted = name == null || name.isBlank() ? catalog.defaultName() : name;
        if (wanted != null && catalog.reference(wanted) == null && wanted.endsWith(":latest")) {
            wanted = wanted.substring(0, wanted.length() - ":latest".length()); // Ollama clients add the default tag
        }
        ModelReference ref = wanted == null ? null : catalog.reference(wanted);
        if (ref == null) {
            throw new UnknownModelException(name, catalog.names());
        }
        Entry<E> entry;
        boolean loadHere = false;
        List<Entry<E>> evicted = List.of();
        long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
        synchronized (this) {
            if (closed) {
                throw new ModelCapacityException("the server is shutting down", false);
            }
            entry = loaded.get(wanted);
            long bytes = entry == null ? footprint.applyAsLong(wanted) : 0;
            while (entry == null) {
                try {
                    evicted = makeRoom(wanted, bytes);
                    entry = new Entry<>(wanted, bytes, keepAlive != null ? keepAlive : limits.keepAlive());
                    loaded.put(wanted, entry);
                    loadHere = true;
                } catch (ModelCapacityException e) {
                    // every model that would have to go is busy: wait (within the request's timeout) for one to finish
                    long left = deadline - System.nanoTime();
                    if (e.never() || left <= 0) {
                        throw e;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                    entry = loaded.get(wanted); // another request may have loaded it meanwhile
                }
            }
            if (!loadHere && keepAlive != null) {
                entry.keepAlive = keepAlive;
            }
            entry.leases++;
        }
        unload(evicted, "to make room for " + wanted);
        if (loadHere) {
            load(entry, ref);
        }
        try {
            E model = entry.ready.get(Math.max(0, wait.toNanos()), TimeUnit.NANOSECONDS);
            return new Lease(entry, model);
        } catch (ExecutionException e) {
            release(entry);
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            release(entry);
            throw e;
        }
    }

    private void load(Entry<E> entry, ModelReference ref) {
        long t0 = System.nanoTime();
        try {
            E model = loader.load(entry.name, ref);
            entry.ready.complete(model);
            LOG.log(System.Logger.Level.INFO, "model " + entry.name + " loaded in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                if (loaded.get(entry.name) == entry) {
                    loaded.remove(entry.name);
                }
                notifyAll();
            }
            entry.ready.completeExceptionally(e);
        }
    }

    private void release(Entry<E> entry) {
        synchronized (this) {
            entry.leases--;
            notifyAll();
        }
    }

    /**
     * Chooses the idle models to unload (least recently used first) so that one of {@code bytes} more fits;
     * removes them from the map (the caller unloads them outside the lock). Refuses with the numbers when it cannot fit.
     */
    private List<Entry<E>> makeRoom(String name, long bytes) {
        long budget = limits.memoryBudgetBytes();
        if (budget > 0 && bytes > budget) {
            throw new ModelCapacityException("model " + name + " needs " + mib(bytes) + " MiB but the memory budget is "
                    + mib(budget) + " MiB: it cannot be loaded", true);
        }
        List<Entry<E>> idle = loaded.values().stream().filter(Entry::idle)
                .sorted(Comparator.comparingLong(e -> e.lastUsedNanos)).toList();
        List<Entry<E>> victims = new ArrayList<>();
        int count = loaded.size();
        long used = loaded.values().stream().mapToLong(e -> e.bytes).sum();
        for (Entry<E> e : idle) {
            if (count + 1 <= limits.maxLoaded() && (budget <= 0 || used + bytes <= budget)) {
                break;
            }
            victims.add(e);
            count--;
            used -= e.bytes;
        }
        if (count + 1 > limits.maxLoaded() || (budget > 0 && used + bytes > budget)) {
            throw new ModelCapacityException("model " + name + " (" + mib(bytes) + " MiB) cannot be loaded now: "
                    + loaded.size() + " of at most " + limits.maxLoaded() + " models are loaded (" + mib(used) + " MiB of "
                    + (budget > 0 ? mib(budget) + " MiB" : "an unlimited budget") + ") and these are busy: "
                    + String.join(", ", loaded.values().stream().filter(e -> !e.idle()).map(e -> e.name).toList()), false);
        }
        for (Entry<E> v : victims) {
            loaded.remove(v.name);
        }
        return victims;
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private void unload(List<Entry<E>> entries, String why) {
        for (Entry<E> e : entries) {
            LOG.log(System.Logger.Level.INFO, "unloading model " + e.name + ": " + why);
            try {
                unloader.unload(e.name, e.ready.join());
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "unloading model " + e.name + " failed: " + ex.getMessage());
            }
        }
    }

    /** Unloads the models idle past their keep-alive. */
    private void reap() {
        List<Entry<E>> gone = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Entry<E> e : List.copyOf(loaded.values())) {
                if (e.idle() && !e.keepAlive.isNegative() && now - e.lastUsedNanos >= e.keepAlive.toNanos()) {
                    loaded.remove(e.name);
                    gone.add(e);
                }
            }
        }
        unload(gone, "idle past its keep-alive");
    }

    /** The loaded and loading models, most recently used first. */
    public synchronized List<Loaded> loaded() {
        return loaded.values().stream().sorted(Comparator.comparingLong((Entry<E> e) -> e.lastUsedNanos).reversed())
                .map(e -> new Loaded(e.name, e.bytes, e.ready.isDone() && !e.ready.isCompletedExceptionally(), e.leases,
                        e.leases > 0 || e.keepAlive.isNegative() ? Loaded.NEVER : e.lastUsedMillis + e.keepAlive.toMillis()))
                .toList();
    }

    /** The model {@code name} if it is loaded and ready now (metrics, /api/ps); null otherwise. Not a lease. */
    public synchronized E ifLoaded(String name) {
        Entry<E> e = loaded.get(name);
        return e != null && e.ready.isDone() && !e.ready.isCompletedExceptionally() ? e.ready.join() : null;
    }

    /** Unloads every model (shutdown). */
    @Override
    public void close() {
        List<Entry<E>> all;
        synchronized (this) {
            closed = true;
            all = loaded.values().stream().filter(e -> e.ready.isDone() && !e.ready.isCompletedExceptionally()).toList();
            loaded.clear();
        }
        reaper.shutdownNow();
        unload(all, "the server stops");
    }
}
