package dev.parley.server.metrics;

import dev.parley.runtime.engine.CacheSource;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineObserver;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.RestoreSkip;
import dev.parley.runtime.kv.KvTierStats;
import dev.parley.runtime.kv.SharedTierStats;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.FunctionalCounter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.service.registry.Services;
import io.helidon.metrics.api.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Parley's meters in Helidon's global registry (served as Prometheus text at /metrics), fed by the
 * engine. Meters are per process: gauges read the engine of the server started last (one per
 * process in production; tests start them one after another), and counters add up. All meters are
 * made up front, so that recording on the scheduler thread only updates them.
 */
public final class ParleyMetrics implements EngineObserver {

    /** The engine the gauges read; the registry keeps the first gauge made for a name, so it reads this. */
    private static final AtomicReference<Engine> ENGINE = new AtomicReference<>();
    private static final AtomicReference<StorageStatus> STORAGE = new AtomicReference<>();
    private final MeterRegistry registry = Services.get(MeterRegistry.class);
    private final Counter promptTokens;
    private final Counter cachedPromptTokens;
    private final Counter generatedTokens;
    private final Counter draftedTokens;
    private final Counter acceptedDraftTokens;
    private final Map<GenerationEvent.FinishReason, Counter> finished = new EnumMap<>(GenerationEvent.FinishReason.class);
    private final Map<ErrorCode, Counter> failed = new EnumMap<>(ErrorCode.class);
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer queueWait;
    private final Timer decodeStep;
    /** Refusals the engine never saw (bad JSON, a missing key, a body too large), by outcome label. */
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();
    /** Whether the request this thread serves reached {@link Engine#submit}, which then reports its outcome. */
    private static final ThreadLocal<boolean[]> SUBMITTED = ThreadLocal.withInitial(() -> new boolean[1]);
    // KV tiers (registerKvMeters)
    private final Map<CacheSource, Counter> kvLookups = new EnumMap<>(CacheSource.class);
    private final Map<CacheSource, Counter> kvRestoredTokens = new EnumMap<>(CacheSource.class);
    private final Map<CacheSource, Timer> kvRestore = new EnumMap<>(CacheSource.class);
    private Timer kvSave;
    /** The tiers a slot is restored from. */
    private static final List<CacheSource> RESTORED_FROM = List.of(CacheSource.RAM, CacheSource.DISK, CacheSource.SHARED);
    private final Timer kvSharedFetch;
    private final Timer kvSharedWrite;
    private Counter kvSavedBytes;
    /** Running generations stopped for room in the KV cache: saved to the RAM tier, or paused in place. */
    private Counter preemptedToTier;
    private Counter preemptedInPlace;
    private Timer preemptionResume;
    /** Per-owner usage counters (label owner: the keys file's owner name, never the key), made at an owner's first charge. */
    private final Map<String, OwnerMeters> owners = new ConcurrentHashMap<>();

    private record OwnerMeters(Counter prompt, Counter cached, Counter completion, Counter creditMicros) {}
    private final Map<RestoreSkip, Counter> kvRestoresSkipped = new EnumMap<>(RestoreSkip.class);
    private final Map<CacheSource, Counter> kvRestoresFailed = new EnumMap<>(CacheSource.class);

    public ParleyMetrics() {
        promptTokens = registry.getOrCreate(Counter.builder("parley.prompt.tokens").description("prompt tokens of started requests"));
        cachedPromptTokens = registry.getOrCreate(Counter.builder("parley.prompt.cached.tokens")
                .description("prompt tokens served from a slot's KV cache instead of prefilled"));
        generatedTokens = registry.getOrCreate(Counter.builder("parley.generated.tokens").description("tokens generated"));
        draftedTokens = registry.getOrCreate(Counter.builder("parley.speculative.drafted.tokens")
                .description("speculative decoding: draft tokens verified by the model"));
        acceptedDraftTokens = registry.getOrCreate(Counter.builder("parley.speculative.accepted.tokens")
                .description("speculative decoding: draft tokens the model accepted (each saved a decode step)"));
        for (GenerationEvent.FinishReason r : GenerationEvent.FinishReason.values()) {
            finished.put(r, registry.getOrCreate(Counter.builder("parley.requests").description("requests by outcome")
                    .tags(List.of(Tag.create("outcome", r.wireName())))));
        }
        for (ErrorCode c : ErrorCode.values()) {
            failed.put(c, registry.getOrCreate(Counter.builder("parley.requests").description("requests by outcome")
                    .tags(List.of(Tag.create("outcome", "error_" + c.name().toLowerCase(Locale.ROOT))))));
        }
        timeToFirstToken = registry.getOrCreate(timer("parley.time.to.first.token", "from arrival to the first generated token"));
        interTokenLatency = registry.getOrCreate(timer("parley.inter.token.latency", "between consecutive tokens of a stream"));
        queueWait = registry.getOrCreate(timer("parley.queue.wait", "time a request waited for a slot"));
        decodeStep = registry.getOrCreate(timer("parley.decode.step", "one scheduler step (batch decode and sampling)"));
        registerKvMeters();
        kvSharedFetch = registry.getOrCreate(timer("parley.kv.shared.fetch", "reading a state from the shared KV tier (before its restore)"));
        kvSharedWrite = registry.getOrCreate(timer("parley.kv.shared.write", "writing a completed turn's state to the shared KV tier (writer thread)"));
        for (String store : List.of("threads", "uploads", "kv_disk")) {
            registry.getOrCreate(Gauge.builder("parley.storage.full", () -> {
                StorageStatus s = STORAGE.get();
                return s != null && s.full(store) ? 1 : 0;
            }).description("1 while a store cannot write because its disk is full (threads, uploads, kv_disk)")
                    .tags(List.of(Tag.create("store", store))));
        }
        registerMemoryMeters();
        registry.getOrCreate(Gauge.builder("parley.slots.total", () -> {
            Engine e = ENGINE.get();
            return e == null ? 0 : e.slots().size();
        }).description("KV-cache slots"));
        registry.getOrCreate(Gauge.builder("parley.slots.busy", () -> {
            Engine e = ENGINE.get();
            return e == null ? 0 : e.stats().activeSlots();
        }).description("slots serving a request"));
        registry.getOrCreate(Gauge.builder("parley.queue.length", () -> {
            Engine e = ENGINE.get();
            return e == null ? 0 : e.queueLength();
        }).description("requests waiting for a slot"));
    }

    /** The KV tiers' meters: lookups by source, restores and saves, and what each tier holds. */
    private void registerKvMeters() {
        for (CacheSource source : CacheSource.values()) {
            kvLookups.put(source, registry.getOrCreate(Counter.builder("parley.kv.lookups")
                    .description("admitted prompts by where their reused tokens came from (slot, ram, disk; miss: nowhere)")
                    .tags(List.of(Tag.create("source", source.wireName())))));
        }
        for (CacheSource tier : RESTORED_FROM) {
            List<Tag> tags = List.of(Tag.create("tier", tier.wireName()));
            kvRestoredTokens.put(tier, registry.getOrCreate(Counter.builder("parley.kv.restored.tokens")
                    .description("prompt tokens restored from a tier instead of prefilled").tags(tags)));
            kvRestore.put(tier, registry.getOrCreate(timer("parley.kv.restore", "loading a saved KV state into a slot (disk: reading it too)")
                    .tags(tags)));
        }
        kvSave = registry.getOrCreate(timer("parley.kv.save", "copying a slot's KV state out of the context into the RAM tier"));
        kvSavedBytes = registry.getOrCreate(Counter.builder("parley.kv.saved.bytes").description("KV state bytes saved from slots"));
        preemptedToTier = registry.getOrCreate(preemptions("ram"));
        preemptedInPlace = registry.getOrCreate(preemptions("in_place"));
        preemptionResume = registry.getOrCreate(timer("parley.kv.preemption.resume",
                "restoring a generation preempted to the RAM tier back into the context"));
        record TierGauge(String tier, java.util.function.ToLongFunction<KvTierStats> bytes, java.util.function.ToLongFunction<KvTierStats> entries) {}
        for (TierGauge g : List.of(new TierGauge("ram", KvTierStats::ramBytes, KvTierStats::ramEntries),
                new TierGauge("disk", KvTierStats::diskBytes, KvTierStats::diskEntries))) {
            List<Tag> tags = List.of(Tag.create("tier", g.tier()));
            registry.getOrCreate(Gauge.builder("parley.kv.bytes", () -> kv(g.bytes())).description("bytes of KV state held per tier").tags(tags));
            registry.getOrCreate(Gauge.builder("parley.kv.entries", () -> kv(g.entries())).description("saved sequences held per tier").tags(tags));
        }
        registry.getOrCreate(Gauge.builder("parley.kv.spilling.bytes", () -> kv(KvTierStats::spillingBytes))
                .description("bytes of KV state in host memory on their way to disk, outside the RAM budget"));
        for (RestoreSkip reason : RestoreSkip.values()) {
            kvRestoresSkipped.put(reason, registry.getOrCreate(Counter.builder("parley.kv.restores.skipped")
                    .description("matched saved states not restored, by reason (no_room: running generations hold the cells it needs)")
                    .tags(List.of(Tag.create("reason", reason.wireName())))));
        }
        for (CacheSource tier : RESTORED_FROM) {
            kvRestoresFailed.put(tier, registry.getOrCreate(Counter.builder("parley.kv.restores.failed")
                    .description("restores the context refused although their cells were counted free")
                    .tags(List.of(Tag.create("tier", tier.wireName())))));
        }
        registry.getOrCreate(FunctionalCounter.builder("parley.kv.evictions", this, m -> kv(KvTierStats::evictedRam))
                .description("entries dropped from a tier for its budget (ram: with no room on disk)").tags(List.of(Tag.create("tier", "ram"))));
        registry.getOrCreate(FunctionalCounter.builder("parley.kv.evictions", this, m -> kv(KvTierStats::evictedDisk))
                .description("entries dropped from a tier for its budget (ram: with no room on disk)").tags(List.of(Tag.create("tier", "disk"))));
        registry.getOrCreate(FunctionalCounter.builder("parley.kv.spilled", this, m -> kv(KvTierStats::spilled))
                .description("entries moved from RAM to disk"));
        registry.getOrCreate(FunctionalCounter.builder("parley.kv.discarded", this, m -> kv(KvTierStats::discarded))
                .description("disk entries found truncated, corrupt or of another model, and deleted"));
    }

    /** What the process holds: with the KV tiers' gauges, what tells a leak from a tier filling up. */
    private void registerMemoryMeters() {
        if (ProcessMemory.residentKnown()) {
            registry.getOrCreate(Gauge.builder("parley.process.resident.memory.bytes", ProcessMemory::residentBytes)
                    .description("resident set size of the process (VmRSS)"));
        }
        registry.getOrCreate(Gauge.builder("parley.jvm.heap.used.bytes", ProcessMemory::heapUsedBytes)
                .description("Java heap in use"));
        registry.getOrCreate(Gauge.builder("parley.jvm.heap.committed.bytes", ProcessMemory::heapCommittedBytes)
                .description("Java heap committed (the heap's share of the resident set, at most)"));
    }

    private static long kv(java.util.function.ToLongFunction<KvTierStats> f) {
        Engine e = ENGINE.get();
        return e == null ? 0 : f.applyAsLong(e.kvStats());
    }

    @Override
    public void cacheLookup(CacheSource source, int tokens) {
        kvLookups.get(source).increment();
    }

    @Override
    public void kvRestored(CacheSource source, int tokens, long bytes, long nanos) {
        kvRestoredTokens.get(source).increment(tokens);
        kvRestore.get(source).record(nanos, TimeUnit.NANOSECONDS);
    }

    private static Counter.Builder preemptions(String to) {
        return Counter.builder("parley.kv.preemptions").description("running generations stopped for room in the KV cache (to: ram, "
                + "saved to the RAM tier and their cells freed; in_place, paused with their state copied aside)")
                .tags(List.of(Tag.create("to", to)));
    }

    @Override
    public void preempted(int tokens, boolean toTier) {
        (toTier ? preemptedToTier : preemptedInPlace).increment();
    }

    @Override
    public void resumedFromPreemption(int tokens, long nanos) {
        preemptionResume.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void kvRestoreSkipped(RestoreSkip reason, int tokens) {
        kvRestoresSkipped.get(reason).increment();
    }

    @Override
    public void kvRestoreFailed(CacheSource source) {
        kvRestoresFailed.get(source).increment();
    }

    @Override
    public void kvSaved(int tokens, long bytes, long nanos) {
        kvSave.record(nanos, TimeUnit.NANOSECONDS);
        kvSavedBytes.increment(bytes);
    }

    private static Timer.Builder timer(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram(true)
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(60));
    }

    /** Binds the gauges to the running engine; with a shared KV tier, its meters appear. */
    public void bind(Engine e) {
        ENGINE.set(e);
        if (e.kvSharedStats() != null) {
            registerSharedMeters();
        }
    }

    /** The shared tier's meters (made once per process; they read the engine bound last). */
    private void registerSharedMeters() {
        registry.getOrCreate(Gauge.builder("parley.kv.shared.up", () -> shared(st -> st.up() ? 1 : 0))
                .description("1 while the shared KV tier's store answers, 0 while it is down (lookups miss and writes drop meanwhile)"));
        registry.getOrCreate(Gauge.builder("parley.kv.shared.queued", () -> shared(SharedTierStats::queued))
                .description("completed turns' states waiting for the shared tier's writer"));
        record SharedCounter(String name, String tag, String value, java.util.function.ToLongFunction<SharedTierStats> f, String description) {}
        for (SharedCounter c : List.of(
                new SharedCounter("parley.kv.shared.lookups", "result", "hit", SharedTierStats::hits, "shared-tier lookups by result (skipped: prefill estimated faster)"),
                new SharedCounter("parley.kv.shared.lookups", "result", "miss", SharedTierStats::misses, "shared-tier lookups by result (skipped: prefill estimated faster)"),
                new SharedCounter("parley.kv.shared.lookups", "result", "skipped", SharedTierStats::skipped, "shared-tier lookups by result (skipped: prefill estimated faster)"),
                new SharedCounter("parley.kv.shared.bytes", "direction", "read", SharedTierStats::bytesRead, "bytes moved to and from the shared KV tier"),
                new SharedCounter("parley.kv.shared.bytes", "direction", "written", SharedTierStats::bytesWritten, "bytes moved to and from the shared KV tier"),
                new SharedCounter("parley.kv.shared.writes", "result", "ok", SharedTierStats::writes, "states written to the shared KV tier"),
                new SharedCounter("parley.kv.shared.writes", "result", "failed", SharedTierStats::writeFailures, "states written to the shared KV tier"),
                new SharedCounter("parley.kv.shared.dropped", null, null, SharedTierStats::dropped, "states not written: the writer's queue was full or the store down"),
                new SharedCounter("parley.kv.shared.discarded", null, null, SharedTierStats::discarded, "shared entries found damaged and deleted"),
                new SharedCounter("parley.kv.shared.superseded", null, null, SharedTierStats::superseded,
                        "shared entries deleted because a longer one of the same conversation holds all of them"))) {
            List<Tag> tags = c.tag() == null ? List.of() : List.of(Tag.create(c.tag(), c.value()));
            registry.getOrCreate(FunctionalCounter.builder(c.name(), this, m -> shared(c.f())).description(c.description()).tags(tags));
        }
    }

    private static long shared(java.util.function.ToLongFunction<SharedTierStats> f) {
        Engine e = ENGINE.get();
        SharedTierStats s = e == null ? null : e.kvSharedStats();
        return s == null ? 0 : f.applyAsLong(s);
    }

    @Override
    public void kvSharedFetched(long bytes, long nanos) {
        kvSharedFetch.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void kvSharedWritten(long bytes, long nanos) {
        kvSharedWrite.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Unbinds the gauges from a stopped engine (unless a newer one took its place). */
    public void unbind(Engine e) {
        ENGINE.compareAndSet(e, null);
    }

    /** Binds {@code parley_storage_full} to the running server's stores. */
    public void bind(StorageStatus s) {
        STORAGE.set(s);
    }

    public void unbind(StorageStatus s) {
        STORAGE.compareAndSet(s, null);
    }

    /** A generation request arrives over HTTP on this thread. */
    public void httpRequestBegins() {
        SUBMITTED.get()[0] = false;
    }

    /**
     * A generation request's HTTP answer is decided: a refusal that never reached the engine is counted
     * here, everything else the engine counts (so each request counts once).
     */
    public void httpRequestAnswered(int status) {
        boolean[] submitted = SUBMITTED.get();
        if (!submitted[0] && status >= 400) {
            refused.computeIfAbsent(refusalOutcome(status), outcome -> registry.getOrCreate(Counter.builder("parley.requests")
                    .description("requests by outcome").tags(List.of(Tag.create("outcome", outcome))))).increment();
        }
        submitted[0] = false;
    }

    /** The outcome label of a refusal by its status; 400 shares the engine's label for invalid requests. */
    static String refusalOutcome(int status) {
        return "error_" + switch (status) {
            case 400 -> "invalid_request";
            case 401 -> "unauthorized";
            case 402 -> "insufficient_credits";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 409 -> "conflict";
            case 413 -> "body_too_large";
            case 415 -> "unsupported_media_type";
            case 503 -> "unavailable";
            case 507 -> "insufficient_storage";
            default -> status >= 500 ? "internal" : "http_" + status;
        };
    }

    /**
     * One call charged to an owner: its prompt tokens (cached ones included), cached prompt tokens,
     * completion tokens, and credits in millionths (counters count whole numbers).
     */
    public void ownerCharged(String owner, int promptTokens, int cachedPromptTokens, int completionTokens, long creditMicros) {
        OwnerMeters m = owners.computeIfAbsent(owner, o -> {
            List<Tag> tags = List.of(Tag.create("owner", o));
            return new OwnerMeters(
                    registry.getOrCreate(Counter.builder("parley.owner.prompt.tokens").description("prompt tokens charged to an owner, cached ones included").tags(tags)),
                    registry.getOrCreate(Counter.builder("parley.owner.prompt.cached.tokens").description("prompt tokens charged to an owner at the cached price").tags(tags)),
                    registry.getOrCreate(Counter.builder("parley.owner.completion.tokens").description("completion tokens charged to an owner").tags(tags)),
                    registry.getOrCreate(Counter.builder("parley.owner.credit.micros").description("credits charged to an owner, in millionths").tags(tags)));
        });
        m.prompt().increment(promptTokens);
        m.cached().increment(cachedPromptTokens);
        m.completion().increment(completionTokens);
        m.creditMicros().increment(creditMicros);
    }

    @Override
    public void requestSubmitted() {
        SUBMITTED.get()[0] = true;
    }

    @Override
    public void requestStarted(String requestId, int slot, long queueNanos, int prompt, int cached) {
        queueWait.record(queueNanos, TimeUnit.NANOSECONDS);
        promptTokens.increment(prompt);
        cachedPromptTokens.increment(cached);
    }

    @Override
    public void firstToken(long nanos) {
        timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void token(long gapNanos) {
        interTokenLatency.record(gapNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void step(int batchTokens, long decodeNanos, long samplingNanos, long totalNanos) {
        decodeStep.record(totalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void draftVerified(int drafted, int accepted) {
        draftedTokens.increment(drafted);
        acceptedDraftTokens.increment(accepted);
    }

    @Override
    public void requestFinished(GenerationEvent.FinishReason reason, int generated) {
        finished.get(reason).increment();
        generatedTokens.increment(generated);
    }

    @Override
    public void requestFailed(ErrorCode code) {
        failed.get(code).increment();
    }
}
