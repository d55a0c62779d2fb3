package dev.parley.server.metrics;

import dev.parley.runtime.engine.Engine;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.service.registry.Services;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The gauges a load-aware router scrapes from a model server, under the names the Kubernetes Gateway
 * API Inference Extension's endpoint picker (and llm-d) reads by default: the model server protocol
 * asks for the queued requests, the running requests and the KV-cache utilisation (a fraction from 0
 * to 1), and vLLM's names for them are the picker's defaults. Each series carries the served model's
 * name as {@code model_name}, as vLLM's do. Parley's own meters ({@code parley_*}) stay beside them.
 *
 * <p>Made when a server starts and removed when it stops, so a series always reads a live engine and
 * names the model it serves.
 */
public final class RouterMetrics implements AutoCloseable {

    /** Requests queued for a slot (the protocol's TotalQueuedRequests). */
    public static final String WAITING = "vllm:num_requests_waiting";
    /** Requests holding a slot, prefilling or generating (TotalRunningRequests). */
    public static final String RUNNING = "vllm:num_requests_running";
    /** Used KV cells over all cells of the context, 0..1 (KVCacheUtilization). */
    public static final String KV_CACHE_USAGE = "vllm:kv_cache_usage_perc";

    private final MeterRegistry registry = Services.get(MeterRegistry.class);
    private final List<Gauge<Double>> gauges;

    public RouterMetrics(Engine engine) {
        List<Tag> model = List.of(Tag.create("model_name", engine.model().name()));
        gauges = List.of(
                gauge(WAITING, "requests waiting for a slot", model, engine, Engine::queueLength),
                gauge(RUNNING, "requests holding a slot (prefill or generation)", model, engine, e -> e.stats().activeSlots()),
                gauge(KV_CACHE_USAGE, "fraction of the KV cache's cells in use, from 0 to 1", model, engine, Engine::kvCacheUsage));
    }

    private Gauge<Double> gauge(String name, String description, List<Tag> tags, Engine engine, ToDoubleFunction<Engine> read) {
        return registry.getOrCreate(Gauge.builder(name, engine, read).description(description).tags(tags));
    }

    /** Removes the gauges, so that a stopped engine is no longer read. */
    @Override
    public void close() {
        gauges.forEach(registry::remove);
    }
}
