package dev.parley.server;

import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.server.api.OpsApi;
import dev.parley.server.dialect.parley.ParleyErrors;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.dialect.Dialects;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.Limits;
import dev.parley.server.auth.ApiKeys;
import dev.parley.server.auth.AuthFilter;
import dev.parley.server.threads.ThreadStore;
import dev.parley.server.config.ServerConfig;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.server.metrics.GpuMonitor;
import dev.parley.server.metrics.ParleyMetrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import java.nio.file.Path;
import java.time.Duration;

/** The engine behind a Helidon web server: the APIs, health and metrics. */
public final class ParleyServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley");

    private final Engine engine;
    private final ThreadStore store;
    private final WebServer web;
    private final ParleyMetrics metrics;
    private final GpuMonitor gpus;

    private ParleyServer(Engine engine, ThreadStore store, WebServer web, ParleyMetrics metrics, GpuMonitor gpus) {
        this.engine = engine;
        this.store = store;
        this.web = web;
        this.metrics = metrics;
        this.gpus = gpus;
    }

    /** Loads the model (config.model() must be set) and starts listening. */
    public static ParleyServer start(ServerConfig config) {
        ApiKeys keys = ApiKeys.load(config.apiKey(), config.apiKeysFile());
        ThreadStore store = config.databaseUrl() != null
                ? ThreadStore.postgres(config.databaseUrl(), config.databaseUser(), config.databasePassword())
                : ThreadStore.sqlite(config.dataDir());
        GpuDiscovery.Report gpus = GpuDiscovery.discover();
        LOG.log(System.Logger.Level.INFO, gpus.summary());
        ParleyMetrics metrics = new ParleyMetrics();
        Engine engine;
        DevicePlan device;
        try {
            device = DevicePlan.decide(config, config.model(), gpus);
            device.log();
            NativeLibraries.load(device.nativesDir());
            engine = Engine.start(engineConfig(config, device), metrics);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        GpuMonitor gpuMonitor = new GpuMonitor(gpus, device.device(), device.gpuIndex());
        metrics.bind(engine);
        try {
            Limits limits = new Limits(config.maxTokensLimit(), config.defaultMaxTokens(), config.maxBodyBytes());
            Endpoints endpoints = new Endpoints(new Exchange(engine, store), limits, ParleyErrors.SHAPE);
            var dialects = Dialects.all(new Dialects.Needs(engine, store, NativeLibraries.llamaCacheDir().resolve("src")));
            OpsApi ops = new OpsApi(engine, gpuMonitor);
            LOG.log(System.Logger.Level.INFO, "threads stored in " + store.description() + "; API keys "
                    + (keys.enabled() ? "required" : "off (set --api-key or --api-keys-file to require them)"));
            WebServer web = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    // Nagle would hold each small flushed token ~40 ms on keep-alive connections.
                    .connectionOptions(so -> so.tcpNoDelay(true))
                    .shutdownGracePeriod(Duration.ofSeconds(5))
                    .addFeature(ObserveFeature.builder()
                            .observersDiscoverServices(false)
                            .endpoint("/")
                            .addObserver(MetricsObserver.builder().endpoint("metrics").build())
                            .build())
                    .routing(r -> {
                        r.addFilter(new AuthFilter(keys, config.metricsRequireKey(), endpoints));
                        for (Dialect d : dialects) {
                            d.register(r, endpoints);
                        }
                        ops.register(r);
                    })
                    .build()
                    .start();
            return new ParleyServer(engine, store, web, metrics, gpuMonitor);
        } catch (RuntimeException e) {
            engine.close(Duration.ZERO);
            store.close();
            gpuMonitor.close();
            throw e;
        }
    }

    static EngineConfig engineConfig(ServerConfig c, DevicePlan device) {
        Path model = c.model();
        return new EngineConfig(model, device.gpuLayers(), device.contextSize(), c.slots(), c.batchSize(), c.microBatchSize(), c.threads(),
                c.batchThreads(), c.flashAttention(), c.kvCacheType(), c.unifiedKv(), c.queueSize(), c.queueTimeout(),
                c.prefixReuse(), c.chatTemplate(), c.repack());
    }

    public int port() {
        return web.port();
    }

    public Engine engine() {
        return engine;
    }

    /** Stops taking connections, lets running generations end (a few seconds at most), frees the model. */
    @Override
    public void close() {
        engine.close(Duration.ofSeconds(5));
        web.stop();
        store.close();
        metrics.unbind(engine);
        gpus.close();
    }
}
