package dev.parley.server;

import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.kv.KvSettings;
import dev.parley.server.api.FrontDoor;
import dev.parley.server.api.OpsApi;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.dialect.Dialects;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.RouteTable;
import dev.parley.server.exchange.Limits;
import dev.parley.server.auth.ApiKeys;
import dev.parley.server.auth.AuthFilter;
import dev.parley.server.threads.ThreadStore;
import dev.parley.server.config.FileSettings;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.credits.Credits;
import dev.parley.server.files.FileUploads;
import dev.parley.server.files.TextExtraction;
import dev.parley.server.files.UploadReader;
import dev.parley.gpu.GpuDiscovery;
import dev.parley.server.metrics.GpuMonitor;
import dev.parley.server.metrics.ParleyMetrics;
import dev.parley.server.auth.RequestOwners;
import dev.parley.server.config.HttpSettings;
import dev.parley.server.http.BodyBudget;
import dev.parley.server.http.BodyGuard;
import dev.parley.server.http.BrowserGuard;
import dev.parley.server.http.CloseAfterResponse;
import dev.parley.server.http.Fallbacks;
import dev.parley.server.http.FramingFilter;
import dev.parley.server.http.HeaderDeadline;
import dev.parley.server.http.InFlight;
import dev.parley.server.http.OutcomeFilter;
import dev.parley.server.http.PlainErrors;
import dev.parley.server.http.ReadDeadlines;
import dev.parley.server.http.Refusals;
import dev.parley.server.http.RequestIdFilter;
import dev.parley.server.metrics.RouterMetrics;
import dev.parley.server.metrics.StorageStatus;
import dev.parley.server.modelref.ModelResolver;
import dev.parley.server.ui.ChatPage;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import dev.parley.server.models.ModelRegistry;
import dev.parley.server.models.ModelRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** The engine behind a Helidon web server: the APIs, health and metrics. */
public final class ParleyServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley");

    private final Engine engine;
    /** The one exchange every dialect runs its turns through. */
    private final Exchange exchange;
    private final ThreadStore store;
    private final WebServer web;
    private final ParleyMetrics metrics;
    private final GpuMonitor gpus;
    private final ReadDeadlines deadlines;
    private final InFlight inFlight;
    private final Duration shutdownGrace;
    private final RouterMetrics routerMetrics;
    private final RouteTable routes;
    /** Which engine a turn runs on; with several models it owns the loaded ones. */
    private final ModelRouter router;

    private ParleyServer(Engine engine, ThreadStore store, WebServer web, ParleyMetrics metrics, GpuMonitor gpus, ReadDeadlines deadlines,
                         InFlight inFlight, Duration shutdownGrace, RouterMetrics routerMetrics, Exchange exchange,
                         RouteTable routes, ModelRouter router) {
        this.router = router;
        this.exchange = exchange;
        this.routes = routes;
        this.deadlines = deadlines;
        this.inFlight = inFlight;
        this.shutdownGrace = shutdownGrace;
        this.routerMetrics = routerMetrics;
        this.engine = engine;
        this.store = store;
        this.web = web;
        this.metrics = metrics;
        this.gpus = gpus;
    }

    /** The response header naming the replica that answered (with --replica-name). */
    public static final String REPLICA_HEADER = "x-parley-replica";

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
        ModelResolver resolver;
        ModelRouter router;
        try {
            // A download (or a cache hit) happens here, before any native code; a bad file stops the start.
            resolver = new ModelResolver(config.modelSources());
            if (config.models().several()) {
                Map<String, Path> files = ServedModels.resolve(resolver, config.models().catalog());
                Path defaultFile = files.get(config.models().catalog().defaultName());
                device = DevicePlan.decide(config, defaultFile, gpus);
                device.log();
                NativeLibraries.load(device.nativesDir());
                ModelRegistry<Engine> registry = ServedModels.registry(config, device, gpus, files, metrics);
                router = ModelRouter.of(registry, config.queueTimeout());
                engine = ServedModels.pinDefault(registry, router, config);
            } else {
                Path modelFile = resolver.modelFile(config.model());
                // The draft model is downloaded (or found) here too; the engine loads it after its own.
                ServerConfig drafting = config.modelDraft() != null ? config.withModelDraft(resolver.modelFile(config.modelDraft())) : config;
                device = DevicePlan.decide(drafting, modelFile, gpus);
                device.log();
                NativeLibraries.load(device.nativesDir());
                engine = Engine.start(engineConfig(drafting, device, modelFile), metrics);
                router = ModelRouter.single(engine);
            }
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        if (!config.models().several()) {
            openEmbedder(config, engine, store);
        }
        GpuMonitor gpuMonitor = new GpuMonitor(gpus, device.device(), device.gpuIndex());
        metrics.bind(engine);
        ReadDeadlines deadlines = null;
        RouterMetrics routerMetrics = new RouterMetrics(engine);
        try {
            Limits limits = new Limits(config.maxTokensLimit(), config.defaultMaxTokens(), config.maxBodyBytes());
            Credits credits = new Credits(keys.budgets(), config.credits(), store.usage(), metrics::ownerCharged);
            Endpoints endpoints = new Endpoints(new Exchange(router, store, credits), limits, PlainErrors.SHAPE);
            FileUploads uploads = uploads(config, store, engine);
            var dialects = Dialects.all(new Dialects.Needs(engine, store, NativeLibraries.llamaCacheDir().resolve("src"), uploads, resolver, router));
            RequestOwners owners = new RequestOwners();
            StorageStatus storage = new StorageStatus(store::full, uploads::spoolFull, engine::kvDiskFull);
            metrics.bind(storage);
            OpsApi ops = new OpsApi(engine, gpuMonitor, owners, keys.enabled(), storage);
            LOG.log(System.Logger.Level.INFO, "threads stored in " + store.description() + "; API keys "
                    + (keys.enabled() ? "required" : "off (set --api-key or --api-keys-file to require them)"));
            HttpSettings http = config.http();
            deadlines = new ReadDeadlines(Duration.ofMillis(250));
            ReadDeadlines readDeadlines = deadlines;
            BodyBudget budget = new BodyBudget(http.bodyMemoryBytes() > 0 ? http.bodyMemoryBytes() : BodyBudget.defaultBytes());
            Set<String> hosts = http.allowedHosts() != null ? http.allowedHosts() : BrowserGuard.defaultHosts(config.host());
            Refusals refusals = new Refusals(endpoints);
            InFlight inFlight = new InFlight();
            WebServer web = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    // Nagle would hold each small flushed token ~40 ms on keep-alive connections.
                    .connectionOptions(so -> so.tcpNoDelay(true))
                    .shutdownGracePeriod(Duration.ofSeconds(5))
                    // Parley's own hook stops the engine first and lets handlers write their last events;
                    // Helidon's would close the listener at SIGTERM and cut every stream.
                    .shutdownHook(false)
                    // Helidon 4.4.0's NIO socket drops the rest of a buffer that a channel write takes only in part:
                    // large responses lost their last kilobytes and clients waited forever. The plain socket writes all.
                    .useNio(false)
                    .maxTcpConnections(http.maxConnections())
                    .idleConnectionTimeout(http.idleTimeout())
                    .idleConnectionPeriod(Duration.ofSeconds(Math.max(1, Math.min(5, http.idleTimeout().toSeconds() / 2))))
                    // Named as Helidon's discovered HTTP/1 config, so that it replaces that one instead of joining it: with
                    // two protocols Helidon reads a connection's first bytes to choose between them before it counts the
                    // connection as idle, so one that sent nothing was never closed. With one, the connection is HTTP/1
                    // from the start and the idle timeout covers it.
                    .addProtocol(Http1Config.builder().name("http_1_1").addReceiveListener(new HeaderDeadline(readDeadlines, http.headerTimeout())).build())
                    .addFeature(ObserveFeature.builder()
                            .observersDiscoverServices(false)
                            .endpoint("/")
                            .addObserver(MetricsObserver.builder().endpoint("metrics").build())
                            .build())
                    .routing(r -> {
                        if (config.replicaName() != null) {
                            r.addFilter((chain, req, res) -> {
                                res.header(REPLICA_HEADER, config.replicaName());
                                chain.proceed();
                            });
                        }
                        r.addFilter(inFlight);
                        r.addFilter(new CloseAfterResponse());
                        r.addFilter(new RequestIdFilter());
                        r.addFilter(new OutcomeFilter(metrics));
                        r.addFilter(new FramingFilter(refusals));
                        r.addFilter(new BrowserGuard(hosts, http.allowedOrigins(), refusals));
                        r.addFilter(new AuthFilter(keys, config.metricsRequireKey(), endpoints));
                        r.addFilter(owners);
                        r.addFilter(new BodyGuard(budget, readDeadlines, http.bodyTimeout()));
                        RouteTable routes = endpoints.routes();
                        for (Dialect d : dialects) {
                            d.register(routes.recording(r), endpoints);
                        }
                        ops.register(routes.recording(r));
                        ChatPage page = new ChatPage(refusals);
                        page.register(routes.recording(r));
                        new FrontDoor(engine.model().name(), routes, page).register(routes.recording(r));
                        // the metrics feature's own routes (it also keeps /metrics/{scope} for old clients)
                        routes.add(Method.GET, "/metrics");
                        routes.add(Method.OPTIONS, "/metrics");
                        Fallbacks.register(r, routes, refusals);
                    })
                    .build()
                    .start();
            if (!web.isRunning() || web.port() < 0) {
                web.stop();
                throw new ServerStartException("cannot listen on " + config.host() + ":" + config.port()
                        + " (is another process using that port?)");
            }
            LOG.log(System.Logger.Level.INFO, "HTTP: Host names " + (hosts.isEmpty() ? "any" : String.join(", ", hosts))
                    + "; browser origins " + (http.allowedOrigins().isEmpty() ? "the server's own" : String.join(", ", http.allowedOrigins()))
                    + "; body parsing memory " + (budget.totalBytes() >> 20) + " MB");
            return new ParleyServer(engine, store, web, metrics, gpuMonitor, deadlines, inFlight, http.shutdownGrace(), routerMetrics,
                    endpoints.exchange(), endpoints.routes(), router);
        } catch (RuntimeException e) {
            routerMetrics.close();
            if (deadlines != null) {
                deadlines.close();
            }
            if (config.models().several()) {
                router.close();
            } else {
                engine.close(Duration.ZERO);
            }
            store.close();
            gpuMonitor.close();
            throw e;
        }
    }

    /** Uploads spool under the data directory; text extraction runs on at most half the cores at once. */
    private static FileUploads uploads(ServerConfig config, ThreadStore store, Engine engine) {
        FileSettings f = config.files();
        return new FileUploads(new UploadReader(f.maxFileBytes(), config.dataDir().resolve("uploads")),
                new TextExtraction(new TextExtraction.Limits(f.maxTextChars(), f.extractTimeout(),
                        Math.max(1, Runtime.getRuntime().availableProcessors() / 2))), store.files(), engine);
    }

    /** How long a finished turn's slot stays reserved for its conversation while other slots are free. */
    private static final Duration KV_HOLD = Duration.ofSeconds(5);

    static EngineConfig engineConfig(ServerConfig c, DevicePlan device, Path model) {
        return engineConfig(c, device, model, c.dataDir().resolve("kv-cache"));
    }

    /** The engine of one model; with several, each keeps its disk KV tier in its own directory (its own budget). */
    static EngineConfig engineConfig(ServerConfig c, DevicePlan device, Path model, Path kvDir) {
        return new EngineConfig(model, device.gpuLayers(), device.contextSize(), c.slots(), c.batchSize(), c.microBatchSize(), c.threads(),
                c.batchThreads(), c.flashAttention(), c.kvCacheType(), c.unifiedKv(), c.queueSize(), c.queueTimeout(),
                c.prefixReuse(), c.chatTemplate(), c.repack()).withParseSpecialInContent(c.parseSpecialInContent())
                .withKvTiers(new KvSettings(c.kvRamBudgetBytes(), c.kvDiskBudgetBytes(), kvDir, KV_HOLD)
                        .withShared(c.kvShared()))
                .withSpeculation(c.speculation());
    }

    public int port() {
        return web.port();
    }

    /** The default model's engine (the only one with a single model). */
    public Engine engine() {
        return engine;
    }

    /** Which engine each turn runs on (tests read the loaded models). */
    public ModelRouter models() {
        return router;
    }

    /** Every route the server has (tests walk them). */
    public RouteTable routes() {
        return routes;
    }

    /** The exchange every turn runs through (tests watch the prompts it submits). */
    public Exchange exchange() {
        return exchange;
    }

    /**
     * Shuts down in bounded time: readiness goes down and new generations get 503 at once; running ones
     * may finish within the grace period, then end with their dialect's error; queued ones get 503. The
     * listener stops once every handler has written its last event (a few seconds at most).
     */
    @Override
    public void close() {
        engine.close(shutdownGrace);
        if (router.registry() != null) {
            // the other loaded models stop at once: their requests end as at any shutdown
            router.close();
        }
        if (!inFlight.awaitIdle(HANDLERS_DRAIN)) {
            LOG.log(System.Logger.Level.WARNING, inFlight.running() + " requests still running at shutdown; closing their connections");
        }
        routerMetrics.close();
        web.stop();
        store.close();
        metrics.unbind(engine);
        gpus.close();
        deadlines.close();
    }

    /** How long handlers get, after the engine stopped, to write their last events. */
    private static final Duration HANDLERS_DRAIN = Duration.ofSeconds(5);

    /**
     * Embeddings come from a second context on the same loaded weights, opened when the GGUF declares a
     * pooling type or {@code --embedding} forces one: a generative model keeps serving chat alone, an
     * embedding model (or a forced one) serves both. llama.cpp pools over one micro-batch, so an input
     * may be as long as {@code --ubatch-size} (as in llama-server), at most the context size.
     */
    private static void openEmbedder(ServerConfig config, Engine engine, ThreadStore store) {
        if (config.embedding() == null && !engine.declaredPooling().pools()) {
            return;
        }
        try {
            engine.openEmbedder(config.embedding(), Math.min(config.contextSize(), config.microBatchSize()));
        } catch (RuntimeException e) {
            engine.close();
            store.close();
            throw new ServerStartException("cannot serve embeddings: " + e.getMessage());
        }
    }
}
