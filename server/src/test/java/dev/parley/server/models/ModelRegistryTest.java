package dev.parley.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.modelref.ModelReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The registry's bookkeeping with a loaded model that is a plain object: loads, waits, keep-alive, LRU, budget. */
class ModelRegistryTest {

    /** A loaded model: which name, which load. */
    record Loaded(String name, int serial) {}

    private final AtomicInteger loads = new AtomicInteger();
    private final List<String> unloaded = new CopyOnWriteArrayList<>();

    private static ModelCatalog catalog(String... names) {
        Map<String, ModelReference> m = new java.util.LinkedHashMap<>();
        for (String n : names) {
            m.put(n, new ModelReference.LocalFile(Path.of(n + ".gguf")));
        }
        return new ModelCatalog(m);
    }

    private ModelRegistry<Loaded> registry(ModelCatalog c, ModelRegistry.Limits limits, ModelRegistry.Loader<Loaded> loader) {
        return new ModelRegistry<>(c, limits, name -> 100L << 20, loader, (name, m) -> unloaded.add(name), Duration.ofMillis(20));
    }

    private ModelRegistry<Loaded> registry(ModelCatalog c, ModelRegistry.Limits limits) {
        return registry(c, limits, (name, ref) -> new Loaded(name, loads.incrementAndGet()));
    }

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration FOREVER = Duration.ofSeconds(-1);

    @Test
    void loadsOnFirstUseOnceAndTheDefaultIsTheFirst() throws Exception {
        try (var r = registry(catalog("a", "b"), new ModelRegistry.Limits(2, FOREVER, 0))) {
            assertTrue(r.loaded().isEmpty());
            try (var lease = r.acquire(null, null, WAIT)) {
                assertEquals("a", lease.model().name());
            }
            try (var lease = r.acquire("a", null, WAIT)) {
                assertEquals(1, lease.model().serial());
            }
            assertEquals(1, loads.get());
            UnknownModelException e = assertThrows(UnknownModelException.class, () -> r.acquire("nope", null, WAIT));
            assertEquals(List.of("a", "b"), e.known());
            assertEquals("nope", e.name());
        }
    }

    @Test
    void leastRecentlyUsedIdleModelGoesFirstAndBusyOnesStay() throws Exception {
        try (var r = registry(catalog("a", "b", "c"), new ModelRegistry.Limits(2, FOREVER, 0))) {
            r.acquire("a", null, WAIT).close();
            r.acquire("b", null, WAIT).close();
            r.acquire("a", null, WAIT).close(); // b is now the least recently used
            r.acquire("c", null, WAIT).close();
            assertEquals(List.of("b"), unloaded);
            assertEquals(List.of("c", "a"), r.loaded().stream().map(ModelRegistry.Loaded::name).toList());
            try (var holdC = r.acquire("c", null, WAIT); var holdA = r.acquire("a", null, WAIT)) {
                ModelCapacityException e = assertThrows(ModelCapacityException.class, () -> r.acquire("b", null, Duration.ofMillis(100)));
                assertFalse(e.never());
                assertTrue(e.getMessage().contains("2 of at most 2"), e.getMessage());
            }
            // a load that finds every model busy waits for one to finish
            var holdC = r.acquire("c", null, WAIT);
            var holdA = r.acquire("a", null, WAIT);
            try (var pool = Executors.newSingleThreadExecutor()) {
                Future<String> b = pool.submit(() -> { try (var l = r.acquire("b", null, WAIT)) { return l.model().name(); } });
                Thread.sleep(100);
                assertFalse(b.isDone(), "a and c are both held");
                holdA.close();
                assertEquals("b", b.get(5, TimeUnit.SECONDS));
            }
            holdC.close();
            assertTrue(unloaded.contains("a"));
        }
    }

    @Test
    void aModelLargerThanTheBudgetIsRefusedWithTheNumbers() {
        try (var r = new ModelRegistry<Loaded>(catalog("big"), new ModelRegistry.Limits(4, FOREVER, 50L << 20), n -> 100L << 20,
                (n, ref) -> new Loaded(n, 1), (n, m) -> { }, Duration.ofMillis(20))) {
            ModelCapacityException e = assertThrows(ModelCapacityException.class, () -> r.acquire("big", null, WAIT));
            assertTrue(e.never());
            assertTrue(e.getMessage().contains("100 MiB") && e.getMessage().contains("50 MiB"), e.getMessage());
        }
    }

    @Test
    void theBudgetEvictsTooWhenTheCountWouldFit() throws Exception {
        // 100 MiB each, 250 MiB budget: two fit, a third evicts the oldest even though maxLoaded is 8
        try (var r = registry(catalog("a", "b", "c"), new ModelRegistry.Limits(8, FOREVER, 250L << 20))) {
            r.acquire("a", null, WAIT).close();
            r.acquire("b", null, WAIT).close();
            r.acquire("c", null, WAIT).close();
            assertEquals(List.of("a"), unloaded);
        }
    }

    @Test
    void idleModelsUnloadAfterKeepAliveAndPerRequestKeepAliveWins() throws Exception {
        try (var r = registry(catalog("a", "b"), new ModelRegistry.Limits(2, Duration.ofMillis(150), 0))) {
            try (var lease = r.acquire("a", null, WAIT)) {
                Thread.sleep(300); // held: not unloaded however long
                assertEquals(1, r.loaded().size());
            }
            r.acquire("b", FOREVER, WAIT).close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!unloaded.contains("a") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(List.of("a"), unloaded);
            assertEquals(List.of("b"), r.loaded().stream().map(ModelRegistry.Loaded::name).toList());
            r.acquire("b", Duration.ZERO, WAIT).close(); // keep_alive 0: gone when its request ends
            assertEquals(List.of("a", "b"), unloaded);
            assertTrue(r.loaded().isEmpty());
        }
    }

    @Test
    void requestsForALoadingModelWaitAndNeverSeeItHalfLoaded() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        try (var r = registry(catalog("slow"), new ModelRegistry.Limits(1, FOREVER, 0), (n, ref) -> {
            loading.countDown();
            try {
                finish.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new Loaded(n, loads.incrementAndGet());
        }); var pool = Executors.newFixedThreadPool(3)) {
            Future<Loaded> first = pool.submit(() -> { try (var l = r.acquire("slow", null, WAIT)) { return l.model(); } });
            assertTrue(loading.await(5, TimeUnit.SECONDS));
            assertFalse(r.loaded().getFirst().ready());
            assertThrows(TimeoutException.class, () -> r.acquire("slow", null, Duration.ofMillis(100)));
            Future<Loaded> second = pool.submit(() -> { try (var l = r.acquire("slow", null, WAIT)) { return l.model(); } });
            finish.countDown();
            assertSame(first.get(5, TimeUnit.SECONDS), second.get(5, TimeUnit.SECONDS));
            assertEquals(1, loads.get());
        }
    }

    @Test
    void aFailedLoadReachesTheRequestAndTheNextOneTriesAgain() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        try (var r = registry(catalog("flaky"), new ModelRegistry.Limits(1, FOREVER, 0), (n, ref) -> {
            if (tries.incrementAndGet() == 1) {
                throw new IllegalStateException("not a GGUF");
            }
            return new Loaded(n, tries.get());
        })) {
            assertEquals("not a GGUF", assertThrows(IllegalStateException.class, () -> r.acquire("flaky", null, WAIT)).getMessage());
            assertTrue(r.loaded().isEmpty());
            try (var l = r.acquire("flaky", null, WAIT)) {
                assertEquals(2, l.model().serial());
            }
        }
    }

    @Test
    void closeUnloadsEverything() throws Exception {
        var r = registry(catalog("a", "b"), new ModelRegistry.Limits(2, FOREVER, 0));
        Loaded a = r.acquire("a", null, WAIT).model();
        r.acquire("b", null, WAIT).close();
        r.close();
        assertEquals(java.util.Set.of("a", "b"), java.util.Set.copyOf(unloaded));
        assertNotSame(null, a);
    }
}
