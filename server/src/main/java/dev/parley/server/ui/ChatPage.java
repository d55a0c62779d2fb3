package dev.parley.server.ui;

import dev.parley.server.api.ApiError;
import dev.parley.server.http.Refusals;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;

/**
 * The chat page: {@code /} for a browser (see {@link HtmlPreference}), its scripts and styles under
 * {@code /ui/}, the vendored libraries under {@code /ui/vendor/}. Everything comes from the jar. The page
 * works only through the public APIs (threads, files), with the same API key any client would send, so
 * it can do nothing a script could not; the routes here are open because a page holds no data.
 * <p>
 * Every answer carries a strict Content-Security-Policy: scripts and styles from this server only, no
 * inline script, no eval, no plugins, no frames, connections to this server only. Model output is
 * rendered as sanitized markdown in the page; the policy is the second wall should a sanitizer miss.
 */
public final class ChatPage {

    /** No inline script or style, no eval, nothing from elsewhere; data: images only (none are fetched). */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

    private final Assets assets = new Assets();
    private final Refusals refusals;

    public ChatPage(Refusals refusals) {
        this.refusals = refusals;
    }

    public void register(HttpRules rules) {
        rules.get("/ui/{file}", (req, res) -> serve(req, res, assets.own(req.path().pathParameters().get("file"))));
        rules.get("/ui/vendor/{file}", (req, res) -> serve(req, res, assets.vendor(req.path().pathParameters().get("file"))));
    }

    /** Whether this request for {@code /} is a browser's, which gets the page rather than the JSON index. */
    public static boolean wanted(ServerRequest req) {
        return HtmlPreference.prefersHtml(String.join(",", req.headers().values(HeaderNames.ACCEPT)));
    }

    /** Sends the page itself (the answer to a browser's {@code GET /}). */
    public void sendPage(ServerResponse res) {
        res.header(HeaderNames.VARY, "Accept");
        send(res, assets.own("index.html"));
    }

    /** The vendored libraries' versions. */
    public Map<String, String> vendorVersions() {
        return assets.vendorVersions();
    }

    private void serve(ServerRequest req, ServerResponse res, Asset asset) {
        if (asset == null) {
            refusals.send(req, res, new ApiError(404, "no such file of the chat page: " + req.path().path(), null, "unknown_url"));
            return;
        }
        send(res, asset);
    }

    private static void send(ServerResponse res, Asset asset) {
        res.header(HeaderNames.CONTENT_TYPE, asset.contentType());
        res.header("Content-Security-Policy", CSP);
        res.header("X-Content-Type-Options", "nosniff");
        res.header("Referrer-Policy", "no-referrer");
        res.header("X-Frame-Options", "DENY");
        // a changed jar must show at once: revalidate every load (the files are small and local)
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.send(asset.bytes());
    }
}
