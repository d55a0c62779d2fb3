package dev.parley.server.metrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.gpu.GpuDevice;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.gpu.GpuSample;
import dev.parley.gpu.GpuTelemetry;
import dev.parley.server.api.Json;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.service.registry.Services;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * GPU figures for /api/v1/gpus and /metrics, sampled through NVML every few seconds on a thread of
 * its own, so that requests never wait on the driver.
 */
public final class GpuMonitor implements AutoCloseable {

    private static final Duration INTERVAL = Duration.ofSeconds(5);

    private final GpuDiscovery.Report report;
    private final GpuTelemetry telemetry;
    private final String device;
    private final int servingIndex;
    private volatile List<GpuSample> latest = List.of();
    private final Thread sampler;

    public GpuMonitor(GpuDiscovery.Report report, String device, int servingIndex) {
        this.report = report;
        this.device = device;
        this.servingIndex = servingIndex;
        this.telemetry = report.hasDevice() ? GpuTelemetry.open() : null;
        if (telemetry != null && telemetry.available()) {
            latest = telemetry.sample();
            registerGauges();
            sampler = Thread.ofVirtual().name("parley-gpu-sampler").start(this::sampleForever);
        } else {
            sampler = null;
        }
    }

    private void sampleForever() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(INTERVAL);
                latest = telemetry.sample();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.getLogger("parley").log(System.Logger.Level.WARNING, "GPU sampling failed: " + e.getMessage());
            }
        }
    }

    private void registerGauges() {
        MeterRegistry registry = Services.get(MeterRegistry.class);
        for (GpuSample s : latest) {
            int i = s.index();
            gauge(registry, "parley.gpu.memory.used.bytes", "GPU memory in use", i, x -> x.memoryUsedBytes());
            gauge(registry, "parley.gpu.memory.total.bytes", "GPU memory in all", i, x -> x.memoryTotalBytes());
            gauge(registry, "parley.gpu.utilization.percent", "GPU busy time over the last sample period", i, x -> x.utilizationPercent());
            gauge(registry, "parley.gpu.temperature.celsius", "GPU temperature", i, x -> x.temperatureCelsius());
            gauge(registry, "parley.gpu.power.watts", "GPU power draw", i, GpuSample::powerWatts);
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, int index, ToDoubleFunction<GpuSample> value) {
        registry.getOrCreate(Gauge.builder(name, () -> {
            for (GpuSample s : latest) {
                if (s.index() == index) {
                    return value.applyAsDouble(s);
                }
            }
            return -1.0;
        }).description(description).tags(List.of(Tag.create("gpu", String.valueOf(index)))));
    }

    /** The body of GET /api/v1/gpus. */
    public ObjectNode describe() {
        ObjectNode body = Json.object();
        body.put("device", device);
        if (!report.hasDevice()) {
            body.put("reason", report.reason());
        }
        if (telemetry != null && !telemetry.available()) {
            body.put("telemetry", telemetry.reason());
        }
        ArrayNode devices = body.putArray("devices");
        for (GpuDevice d : report.devices()) {
            ObjectNode o = devices.addObject();
            o.put("index", d.index()).put("name", d.name()).put("compute_capability", d.computeCapability())
                    .put("multiprocessors", d.multiprocessors()).put("memory_total_bytes", d.totalBytes())
                    .put("serving_model", d.index() == servingIndex);
            for (GpuSample s : latest) {
                if (s.index() == d.index()) {
                    o.put("memory_used_bytes", s.memoryUsedBytes()).put("utilization_percent", s.utilizationPercent())
                            .put("memory_utilization_percent", s.memoryUtilizationPercent()).put("temperature_celsius", s.temperatureCelsius())
                            .put("power_watts", s.powerWatts()).put("throttle_reasons", s.throttleReasons());
                }
            }
        }
        return body;
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.interrupt();
        }
    }
}
