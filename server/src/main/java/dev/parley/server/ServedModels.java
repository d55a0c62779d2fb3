package dev.parley.server;

import dev.parley.gpu.FitPlanner;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.runtime.engine.Engine;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.metrics.ParleyMetrics;
import dev.parley.server.metrics.ModelMetrics;
import dev.parley.server.modelref.ModelResolver;
import dev.parley.server.models.ModelCatalog;
import dev.parley.server.models.ModelRegistry;
import dev.parley.server.models.ModelRouter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Several models in one server: every reference of the catalog resolved to a file at start (a download
 * or a bad file stops the start, as with one model), then a registry that starts an Engine of its own
 * (slots, scheduler, KV tiers) for a model on first use. The default model (the catalog's first) is loaded
 * at start and stays loaded: the dialects read its chat template and tokenizer facts.
 */
final class ServedModels {

    private static final System.Logger LOG = System.getLogger("parley.models");

    /** How often idle models are looked at for their keep-alive. */
    private static final Duration REAP_EVERY = Duration.ofMillis(250);

    private ServedModels() {
    }

    static Map<String, Path> resolve(ModelResolver resolver, ModelCatalog catalog) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String name : catalog.names()) {
            files.put(name, resolver.modelFile(catalog.reference(name)));
        }
        LOG.log(System.Logger.Level.INFO, files.size() + " models servable: " + String.join(", ", files.keySet()));
        return files;
    }

    /** The models' registry; the server routes turns through {@link ModelRouter#of} over it. */
    static ModelRegistry<Engine> registry(ServerConfig config, DevicePlan device, GpuDiscovery.Report gpus, Map<String, Path> files,
                                          ParleyMetrics metrics) {
        ModelCatalog catalog = config.models().catalog();
        String first = catalog.defaultName();
        ModelMetrics meters = new ModelMetrics();
        long budget = budget(device, gpus);
        ModelRegistry<Engine> registry = new ModelRegistry<>(catalog,
                new ModelRegistry.Limits(config.models().maxLoaded(), config.models().keepAlive(), budget),
                name -> footprint(config, files.get(name)),
                (name, ref) -> {
                    Path file = files.get(name);
                    DevicePlan plan = name.equals(first) ? device : DevicePlan.decide(config, file, gpus);
                    Engine e = Engine.start(ParleyServer.engineConfig(config, plan, file,
                            config.dataDir().resolve("kv-cache").resolve(name.replaceAll("[^A-Za-z0-9._-]", "_"))), metrics);
                    if (config.embedding() != null || e.declaredPooling().pools()) {
                        try {
                            e.openEmbedder(config.embedding(), Math.min(config.contextSize(), config.microBatchSize()));
                        } catch (RuntimeException ex) {
                            e.close();
                            throw ex;
                        }
                    }
                    meters.loaded(name, e);
                    return e;
                },
                (name, e) -> {
                    meters.unloaded(name);
                    e.close(Duration.ZERO);
                },
                REAP_EVERY);
        LOG.log(System.Logger.Level.INFO, "models: at most " + config.models().maxLoaded() + " loaded at once, idle ones unloaded after "
                + (config.models().keepAlive().isNegative() ? "never" : config.models().keepAlive().toSeconds() + " s")
                + (budget > 0 ? ", memory budget " + (budget >> 20) + " MiB" : ""));
        return registry;
    }

    /** Loads the default model now and holds it for the server's life; a failure closes {@code router} (and so the registry). */
    static Engine pinDefault(ModelRegistry<Engine> registry, ModelRouter router, ServerConfig config) {
        try {
            return registry.acquire(null, Duration.ofSeconds(-1), Duration.ofDays(1)).model();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            router.close();
            throw new ServerStartException("interrupted while loading " + config.models().catalog().defaultName());
        } catch (TimeoutException | RuntimeException e) {
            router.close();
            throw e instanceof RuntimeException r ? r : new ServerStartException(e.toString());
        }
    }

    /**
     * What all loaded models together may take: the GPU's free memory at start when weights go there,
     * else nine tenths of the machine's memory.
     */
    private static long budget(DevicePlan device, GpuDiscovery.Report gpus) {
        if (device.device().equals("cuda") && gpus.hasDevice() && (device.gpuLayers() == null || device.gpuLayers() != 0)) {
            return gpus.devices().getFirst().freeBytes();
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize() / 10 * 9;
        }
        return 0;
    }

    /** A model's weights (every part of a split one) and its KV cache at the configured context. */
    private static long footprint(ServerConfig config, Path file) {
        FitPlanner.ModelFacts f = DevicePlan.facts(file);
        double kv = (double) config.contextSize() * f.layers() * f.kvHeads() * f.headDim() * 2 * DevicePlan.kvBytes(config.kvCacheType());
        return f.weightBytes() + (long) kv;
    }
}
