package dev.parley.server.modelref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two Hub API routes a download needs: the commit a revision names ({@code /api/models/{repo}/revision/{rev}})
 * and the files at that commit with their LFS hashes ({@code /api/models/{repo}/tree/{commit}?recursive=true},
 * following the {@code Link: rel="next"} pages). Status codes become errors that say what to do.
 */
public final class HubApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    private final ModelSources sources;
    private final HttpClient http;

    public HubApi(ModelSources sources, HttpClient http) {
        this.sources = sources;
        this.http = http;
    }

    /** Thrown when the Hub cannot be reached at all (the caller may fall back to the cache). */
    public static final class Unreachable extends IOException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public String commit(String repo, String revision) throws IOException, InterruptedException {
        JsonNode body = get(URI.create(sources.endpoint() + "/api/models/" + repo + "/revision/" + encode(revision)), repo, revision);
        String sha = body.path("sha").asText("");
        if (!sha.matches("[0-9a-f]{40}")) {
            throw new ModelReferenceException(sources.endpoint() + ": no commit id for " + repo + "@" + revision + " in the Hub's answer");
        }
        return sha;
    }

    public List<RepoFile> files(String repo, String commit) throws IOException, InterruptedException {
        List<RepoFile> files = new ArrayList<>();
        URI next = URI.create(sources.endpoint() + "/api/models/" + repo + "/tree/" + commit + "?recursive=true");
        for (int page = 0; next != null && page < 1000; page++) {
            HttpResponse<String> res = send(next);
            JsonNode body = parse(check(res, repo, commit), next);
            if (!body.isArray()) {
                throw new ModelReferenceException(next + ": expected a list of files");
            }
            for (JsonNode item : body) {
                if (!"file".equals(item.path("type").asText()) || !item.hasNonNull("path")) {
                    continue;
                }
                JsonNode lfs = item.path("lfs");
                String sha = lfs.isObject() ? lfs.path("oid").asText(null) : null;
                if (sha != null && !sha.matches("[0-9a-f]{64}")) {
                    sha = null;
                }
                long size = lfs.isObject() ? lfs.path("size").asLong(item.path("size").asLong(-1)) : item.path("size").asLong(-1);
                files.add(new RepoFile(item.get("path").asText(), size, sha, item.path("oid").asText(null)));
            }
            next = res.headers().firstValue("Link").map(HubApi::nextPage).map(u -> u.isAbsolute() ? u : sources.endpoint().resolve(u)).orElse(null);
        }
        return files;
    }

    private static URI nextPage(String link) {
        Matcher m = NEXT.matcher(link);
        return m.find() ? URI.create(m.group(1)) : null;
    }

    private JsonNode get(URI uri, String repo, String revision) throws IOException, InterruptedException {
        return parse(check(send(uri), repo, revision), uri);
    }

    private HttpResponse<String> send(URI uri) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Accept", "application/json")
                .header("User-Agent", "parley");
        if (sources.token() != null && !sources.token().isBlank()) {
            b.header("Authorization", "Bearer " + sources.token());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException | java.nio.channels.UnresolvedAddressException e) {
            throw new Unreachable("cannot reach " + sources.endpoint() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /** The body of a 200, or the error a user can act on; the Hub's own trouble (5xx) counts as unreachable. */
    private String check(HttpResponse<String> res, String repo, String revision) throws Unreachable {
        int s = res.statusCode();
        if (s == 200) {
            return res.body();
        }
        if (s >= 500) {
            throw new Unreachable(sources.endpoint() + " answered HTTP " + s + " for " + repo, null);
        }
        throw statusError(s, repo, revision, sources);
    }

    static ModelReferenceException statusError(int status, String repo, String revision, ModelSources sources) {
        boolean token = sources.token() != null && !sources.token().isBlank();
        return switch (status) {
            case 401, 403 -> new ModelReferenceException("Hugging Face repo " + repo + " refused access (HTTP " + status + "): "
                    + (token ? "the token in HF_TOKEN has no access to it (accept the model's terms on its page, or use a token that may read it)"
                    : "it is gated or private; set HF_TOKEN to an access token that may read it"));
            case 404 -> new ModelReferenceException("Hugging Face repo " + repo + " or its revision '" + revision + "' was not found at "
                    + sources.endpoint() + " (HTTP 404)" + (token ? "" : "; a private repo also answers 404 without HF_TOKEN"));
            default -> new ModelReferenceException(sources.endpoint() + " answered HTTP " + status + " for " + repo + "@" + revision);
        };
    }

    private static JsonNode parse(String body, URI uri) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new ModelReferenceException(uri + ": the answer is not JSON");
        }
    }

    private static String encode(String revision) {
        return URLEncoder.encode(revision, StandardCharsets.UTF_8);
    }
}
