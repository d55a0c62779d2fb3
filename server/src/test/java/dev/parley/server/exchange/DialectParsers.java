package dev.parley.server.exchange;

import dev.parley.runtime.engine.Engine;
import dev.parley.server.dialect.aisdk.AiChatRequests;
import dev.parley.server.dialect.aisdk.UiChatRequests;
import dev.parley.server.dialect.anthropic.AnthropicRequests;
import dev.parley.server.dialect.ollama.OllamaService;
import dev.parley.server.dialect.openai.OpenAiRequests;
import dev.parley.server.dialect.paddler.PaddlerRequests;
import dev.parley.server.dialect.parley.ConversationRequests;
import dev.parley.server.dialect.parley.ParleyErrors;
import dev.parley.server.threads.ThreadStore;
import io.helidon.common.context.Context;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.http.media.ReadableEntity;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stateless POST routes of every dialect (the turns, and Ollama's show), each its real handler (body reading, the dialect's
 * parser, its error shape) with the exchange replaced by a recorder: a request body goes in, and out
 * comes the parsed {@link Call} or the status of the refusal, without a generation or a socket.
 */
final class DialectParsers {

    /** What one body came to: a parsed call, or the status the dialect answered with. */
    record Outcome(Call call, int status) {}

    private final Map<String, Handler> routes = new LinkedHashMap<>();
    private Call recorded;

    DialectParsers(Engine engine, Limits limits) {
        Endpoints endpoints = new Endpoints(null, limits, ParleyErrors.SHAPE, (call, in, res) -> recorded = call);
        HttpRules rules = capturing(routes);
        ThreadStore store = store();
        for (Dialect d : List.of(new PaddlerRequests(store.files()), new OpenAiRequests(engine, store, null), new AiChatRequests(),
                new UiChatRequests(), new ConversationRequests(store.files()), new OllamaService(engine, offlineResolver()),
                new AnthropicRequests(engine, store.files()))) {
            d.register(rules, endpoints);
        }
    }

    /** Model sources that never reach a network: offline, over empty caches. */
    private static dev.parley.server.modelref.ModelResolver offlineResolver() {
        try {
            Path dir = java.nio.file.Files.createTempDirectory("parley-fuzz-models");
            dir.toFile().deleteOnExit();
            return new dev.parley.server.modelref.ModelResolver(dev.parley.server.modelref.ModelSources.from(Map.of("HF_HOME", dir.toString(),
                    "HF_HUB_OFFLINE", "1", "OLLAMA_MODELS", dir.toString())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A throwaway thread store: the Responses API reads previous_response_id from it. */
    private static ThreadStore store() {
        try {
            Path dir = java.nio.file.Files.createTempDirectory("parley-fuzz-store");
            dir.toFile().deleteOnExit();
            return ThreadStore.sqlite(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The routes the committed corpus was written against, in the order its first byte picks them; a route
     * added later comes after these, so that no corpus input changes route.
     */
    private static final List<String> CORPUS_ORDER = List.of("/api/v1/continue_from_conversation_history",
            "/api/v1/continue_from_raw_prompt", "/v1/chat/completions", "/v1/completions", "/api/ai/chat", "/api/v1/ui-chat",
            "/api/v1/conversation", "/api/chat", "/api/generate", "/api/show");

    /** The POST routes: {@link #CORPUS_ORDER}, then any other in registration order. */
    List<String> paths() {
        List<String> paths = new java.util.ArrayList<>(CORPUS_ORDER);
        if (!routes.keySet().containsAll(CORPUS_ORDER)) {
            throw new IllegalStateException("a route the corpus is written against is gone: " + CORPUS_ORDER + " vs " + routes.keySet());
        }
        routes.keySet().stream().filter(r -> !CORPUS_ORDER.contains(r)).forEach(paths::add);
        return List.copyOf(paths);
    }

    /** Runs one body through a route's handler; anything but a call or an error answer escapes as thrown. */
    Outcome post(String path, byte[] body) throws Exception {
        recorded = null;
        int[] status = {200};
        routes.get(path).handle(request(body), response(status));
        return new Outcome(recorded, status[0]);
    }

    private static HttpRules capturing(Map<String, Handler> routes) {
        return (HttpRules) Proxy.newProxyInstance(HttpRules.class.getClassLoader(), new Class<?>[] {HttpRules.class}, (proxy, m, args) -> {
            // uploads are files, OpenAI's conversations stored threads and Ollama's pull a download, not JSON turns: not these parsers' business
            if (m.getName().equals("post") && args.length == 2 && args[1] instanceof Handler[] h && h.length == 1 && !"/v1/files".equals(args[0])
                    && !"/api/pull".equals(args[0])
                    && !((String) args[0]).startsWith("/v1/conversations")) {
                routes.put((String) args[0], h[0]);
            }
            return proxy; // GET routes read no body
        });
    }

    private static ServerRequest request(byte[] body) {
        WritableHeaders<?> h = WritableHeaders.create();
        h.set(HeaderNames.CONTENT_TYPE, "application/json");
        h.set(HeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
        ServerRequestHeaders headers = ServerRequestHeaders.create(h);
        Context context = Context.create();
        ReadableEntity content = (ReadableEntity) Proxy.newProxyInstance(ReadableEntity.class.getClassLoader(),
                new Class<?>[] {ReadableEntity.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "inputStream" -> new ByteArrayInputStream(body);
                    case "hasEntity" -> body.length > 0;
                    default -> throw new UnsupportedOperationException("ReadableEntity." + m.getName());
                });
        return (ServerRequest) Proxy.newProxyInstance(ServerRequest.class.getClassLoader(), new Class<?>[] {ServerRequest.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "headers" -> headers;
                    case "context" -> context;
                    case "content" -> content;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException("ServerRequest." + m.getName());
                });
    }

    private static ServerResponse response(int[] status) {
        return (ServerResponse) Proxy.newProxyInstance(ServerResponse.class.getClassLoader(), new Class<?>[] {ServerResponse.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("status") && args != null && args.length == 1) {
                        status[0] = args[0] instanceof Status s ? s.code() : (Integer) args[0];
                    }
                    Class<?> r = m.getReturnType();
                    return r.isInstance(proxy) ? proxy : r == boolean.class ? Boolean.FALSE : null;
                });
    }
}
