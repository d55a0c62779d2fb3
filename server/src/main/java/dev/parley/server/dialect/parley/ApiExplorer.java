package dev.parley.server.dialect.parley;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.FrontDoor;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/**
 * The API explorer: {@code GET /openapi.json} describes Parley's own routes (a hand-written OpenAPI 3.1
 * document; a test checks each of its paths is a route), and {@code GET /docs} renders it with Swagger
 * UI, whose assets come from the swagger-ui WebJar in this jar: no CDN, nothing fetched at run time.
 * Both are API routes: with API keys on they need one, like every route under /api/.
 */
public final class ApiExplorer implements Dialect {

    private static final String RESOURCES = "/dev/parley/server/explorer/";
    private static final String SWAGGER_UI = "/META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";

    /**
     * Scripts and styles from this server only, no inline script, no eval; Swagger UI draws its icons as
     * data: images and sets element styles through the DOM (which style-src does not govern), and calls
     * only this server ("Try it out").
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** The assets /docs/{file} serves, and their types: only these, so no path reaches another resource. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "swagger-ui.css", new Asset(SWAGGER_UI + "swagger-ui.css", "text/css; charset=utf-8"),
            "swagger-ui-bundle.js", new Asset(SWAGGER_UI + "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
            "favicon-32x32.png", new Asset(SWAGGER_UI + "favicon-32x32.png", "image/png"),
            "explorer.js", new Asset(RESOURCES + "explorer.js", "text/javascript; charset=utf-8"));

    private record Asset(String resource, String type) {}

    /** Each asset's bytes, read once at start (about 2 MB, most of it Swagger UI's bundle). */
    private final Map<String, byte[]> assetBytes = ASSETS.entrySet().stream()
            .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> read(e.getValue().resource(), false)));

    private final byte[] openApi = read(RESOURCES + "openapi.json", true);
    private final byte[] page = read(RESOURCES + "docs.html", false);

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/openapi.json", ParleyErrors.SHAPE);
        endpoints.owns("/docs", ParleyErrors.SHAPE);
        rules.get("/openapi.json", endpoints.handler(ParleyErrors.SHAPE, (in, res) -> send(res, "application/json", openApi)))
             .get("/docs", endpoints.handler(ParleyErrors.SHAPE, (in, res) -> {
                 res.header("Content-Security-Policy", CSP);
                 send(res, "text/html; charset=utf-8", page);
             }))
             .get("/docs/{file}", endpoints.handler(ParleyErrors.SHAPE, (in, res) -> {
                 String name = in.pathParam("file");
                 Asset a = ASSETS.get(name);
                 if (a == null) {
                     throw new ApiError(404, "no file " + Echo.text(name) + " in the API explorer", null);
                 }
                 res.header(HeaderNames.CACHE_CONTROL, "max-age=3600");
                 send(res, a.type(), assetBytes.get(name));
             }));
    }

    private static void send(ServerResponse res, String type, byte[] body) {
        res.header(HeaderNames.CONTENT_TYPE, type);
        res.header("X-Content-Type-Options", "nosniff");
        res.send(body);
    }

    /** A resource of this jar (or the WebJar's); {@code versioned}: its "VERSION" placeholder becomes Parley's version. */
    private static byte[] read(String resource, boolean versioned) {
        try (InputStream in = ApiExplorer.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + resource);
            }
            byte[] bytes = in.readAllBytes();
            return versioned ? new String(bytes, StandardCharsets.UTF_8).replace("\"version\": \"VERSION\"", "\"version\": \"" + FrontDoor.VERSION + "\"")
                    .getBytes(StandardCharsets.UTF_8) : bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The WebJar's version, from its Maven properties: the pom alone says which Swagger UI is served. */
    private static String swaggerUiVersion() {
        try (InputStream in = ApiExplorer.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the swagger-ui WebJar is not on the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
