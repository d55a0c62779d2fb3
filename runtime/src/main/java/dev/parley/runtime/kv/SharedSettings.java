package dev.parley.runtime.kv;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The shared KV tier below RAM and disk: {@code file:///PATH} (a directory every replica mounts) or
 * {@code redis://HOST:PORT[/DB]} / {@code rediss://} (Redis or Valkey).
 *
 * @param url where the tier is; checked here, so that a bad one fails at start with a clear message
 * @param ttl how long an entry lives after it was written
 * @param password for Redis (PARLEY_KV_SHARED_PASSWORD); null: none
 */
public record SharedSettings(String url, Duration ttl, String password) {

    public SharedSettings {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the shared tier's TTL must be positive");
        }
        parse(url);
    }

    /** A parsed URL. */
    sealed interface Target permits Dir, Redis {}

    record Dir(Path root) implements Target {}

    record Redis(String host, int port, int database, boolean tls) implements Target {}

    Target target() {
        return parse(url);
    }

    static Target parse(String url) {
        URI u;
        try {
            u = new URI(url == null ? "" : url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: '" + url + "' (expected file:///PATH or redis://HOST:PORT[/DB])");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        switch (scheme) {
            case "file" -> {
                if (u.getPath() == null || !u.getPath().startsWith("/") || u.getAuthority() != null && !u.getAuthority().isEmpty()) {
                    throw new IllegalArgumentException("expected file:///ABSOLUTE/PATH, got '" + url + "'");
                }
                return new Dir(Path.of(u.getPath()));
            }
            case "redis", "rediss" -> {
                if (u.getHost() == null || u.getHost().isEmpty()) {
                    throw new IllegalArgumentException("expected redis://HOST:PORT[/DB], got '" + url + "'");
                }
                if (u.getUserInfo() != null) {
                    throw new IllegalArgumentException("put the Redis password in PARLEY_KV_SHARED_PASSWORD, not in the URL");
                }
                int db = 0;
                String path = u.getPath() == null ? "" : u.getPath();
                if (!path.isEmpty() && !path.equals("/")) {
                    try {
                        db = Integer.parseInt(path.substring(1));
                    } catch (NumberFormatException e) {
                        db = -1;
                    }
                    if (db < 0) {
                        throw new IllegalArgumentException("expected a database number after the port (redis://HOST:PORT/0), got '" + path.substring(1) + "'");
                    }
                }
                return new Redis(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort(), db, scheme.equals("rediss"));
            }
            default -> throw new IllegalArgumentException("expected file:///PATH, redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB], got '" + url + "'");
        }
    }
}
