package dev.parley.server;

import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.kv.KvSettings;
import dev.parley.server.api.ConversationApi;
import dev.parley.server.api.OpenAiApi;
import dev.parley.server.api.OpsApi;
import dev.parley.server.api.ThreadsApi;
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
            ConversationApi.Limits limits = new ConversationApi.Limits(config.maxTokensLimit(), config.defaultMaxTokens(), config.maxBodyBytes());
            ConversationApi conversations = new ConversationApi(engine, limits);
            OpenAiApi openAi = new OpenAiApi(engine, limits, NativeLibraries.llamaCacheDir().resolve("src"));
            OpsApi ops = new OpsApi(engine, gpuMonitor);
            ThreadsApi threads = new ThreadsApi(engine, store, limits);
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
                        r.addFilter(new AuthFilter(keys, config.metricsRequireKey()));
                        conversations.register(r);
                        threads.register(r);
                        openAi.register(r);
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

    /** How long a finished turn's slot stays reserved for its conversation while other slots are free. */
    private static final Duration KV_HOLD = Duration.ofSeconds(5);

    static EngineConfig engineConfig(ServerConfig c, DevicePlan device) {
        Path model = c.model();
        return new EngineConfig(model, device.gpuLayers(), device.contextSize(), c.slots(), c.batchSize(), c.microBatchSize(), c.threads(),
                c.batchThreads(), c.flashAttention(), c.kvCacheType(), c.unifiedKv(), c.queueSize(), c.queueTimeout(),
                c.prefixReuse(), c.chatTemplate(), c.repack())
                .withKvTiers(new KvSettings(c.kvRamBudgetBytes(), c.kvDiskBudgetBytes(), c.dataDir().resolve("kv-cache"), KV_HOLD));
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
