package dev.parley.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.exchange.RouteTable;
import dev.parley.server.ui.ChatPage;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code GET /}: what answers here, for a person or a script trying the base URL. A browser (it asks
 * for HTML by name) gets the chat page; everyone else a JSON index: name, version, model, the main
 * routes and every route the server has (from the {@link RouteTable}, so it cannot list one that is
 * not there).
 */
public final class FrontDoor {

    /** Where the main APIs start; a link is shown only when its route is registered. */
    private static final Map<String, String> LINKS = links();

    private final String model;
    private final RouteTable routes;
    private final ChatPage page;

    public FrontDoor(String model, RouteTable routes, ChatPage page) {
        this.model = model;
        this.routes = routes;
        this.page = page;
    }

    public void register(HttpRules rules) {
        rules.get("/", this::index);
    }

    private void index(ServerRequest req, ServerResponse res) {
        if (ChatPage.wanted(req)) {
            page.sendPage(res);
            return;
        }
        res.header(HeaderNames.VARY, "Accept");
        ObjectNode body = Json.object().put("name", "parley").put("version", VERSION).put("model", model)
                .put("docs", "docs/api.md in Parley's sources describes every route");
        ObjectNode links = body.putObject("links");
        LINKS.forEach((name, path) -> {
            if (!routes.methodsOn(path).isEmpty()) {
                links.put(name, path);
            }
        });
        var all = body.putArray("routes");
        routes.all().stream().sorted(Comparator.comparing(RouteTable.Route::pattern).thenComparing(RouteTable.Route::toString))
                .map(RouteTable.Route::toString).distinct().forEach(all::add);
        Json.send(res, 200, body);
    }

    private static Map<String, String> links() {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("openai_chat_completions", "/v1/chat/completions");
        l.put("openai_responses", "/v1/responses");
        l.put("openai_models", "/v1/models");
        l.put("anthropic_messages", "/v1/messages");
        l.put("ollama_chat", "/api/chat");
        l.put("ollama_generate", "/api/generate");
        l.put("threads", "/api/v1/conversations");
        l.put("files", "/api/v1/files");
        l.put("chat_page", "/ui/index.html");
        l.put("slots", "/api/v1/slots");
        l.put("health", "/health");
        l.put("metrics", "/metrics");
        return l;
    }

    /** Parley's version, written into a resource at build time. */
    public static final String VERSION = version();

    private static String version() {
        try (InputStream in = FrontDoor.class.getResourceAsStream("/dev/parley/server/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
