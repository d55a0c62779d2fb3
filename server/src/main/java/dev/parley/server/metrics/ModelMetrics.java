package dev.parley.server.metrics;

import dev.parley.runtime.engine.Engine;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.service.registry.Services;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * With several models, what is loaded, labelled {@code model} (the name requests use): {@code parley_model_loaded}
 * (1 while loaded; the series goes when the model does), {@code parley_model_queue} (requests waiting for its
 * slots) and the counters {@code parley_model_loads_total} and {@code parley_model_unloads_total}.
 */
public final class ModelMetrics {

    private final MeterRegistry registry = Services.get(MeterRegistry.class);
    private final Map<String, List<Gauge<Double>>> gauges = new ConcurrentHashMap<>();

    public void loaded(String name, Engine engine) {
        List<Tag> tag = List.of(Tag.create("model", name));
        gauges.put(name, List.of(
                registry.getOrCreate(Gauge.builder("parley.model.loaded", engine, e -> 1.0).description("1 while the model is loaded").tags(tag)),
                registry.getOrCreate(Gauge.builder("parley.model.queue", engine, e -> (double) e.queueLength())
                        .description("requests waiting for the model's slots").tags(tag))));
        registry.getOrCreate(Counter.builder("parley.model.loads").description("times the model was loaded").tags(tag)).increment();
    }

    public void unloaded(String name) {
        List<Gauge<Double>> g = gauges.remove(name);
        if (g != null) {
            g.forEach(registry::remove);
        }
        registry.getOrCreate(Counter.builder("parley.model.unloads").description("times the model was unloaded")
                .tags(List.of(Tag.create("model", name)))).increment();
    }
}
