package dev.parley.server.auth;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Where a dialect's clients put their API key. Every dialect takes Parley's own headers
 * ({@code Authorization: Bearer KEY}, {@code x-api-key: KEY}); some published APIs put the key
 * elsewhere (a query parameter, an owner-and-secret header pair), and their dialects say so here.
 */
public interface Credentials {

    /**
     * What the request presented: a key (or null), and the owner it claims to be (or null when it
     * claims none); a claimed owner must be the key's owner in the keys file.
     */
    record Presented(String key, String claimedOwner) {}

    Presented read(ServerRequest req);

    /** How to present a key, for the 401 message. */
    String hint();

    HeaderName X_API_KEY = HeaderNames.create("x-api-key");

    /** Parley's headers: {@code Authorization: Bearer KEY} or {@code x-api-key: KEY}. */
    Credentials STANDARD = new Credentials() {
        @Override
        public Presented read(ServerRequest req) {
            return new Presented(standardKey(req), null);
        }

        @Override
        public String hint() {
            return "send 'Authorization: Bearer <key>' or 'x-api-key: <key>'";
        }
    };

    /** Parley's headers, else the key as query parameter {@code name} (the query string is never logged). */
    static Credentials orQueryParameter(String name) {
        return new Credentials() {
            @Override
            public Presented read(ServerRequest req) {
                String key = standardKey(req);
                if (key == null && req.query().contains(name)) {
                    key = req.query().get(name);
                }
                return new Presented(key, null);
            }

            @Override
            public String hint() {
                return STANDARD.hint() + ", or query parameter '" + name + "'";
            }
        };
    }

    /**
     * An owner and a secret in two headers (the keys file's {@code OWNER:KEY}: the owner names the
     * key's owner, the secret is the key); without the secret header, Parley's headers.
     */
    static Credentials ownerAndSecretHeaders(String ownerHeader, String secretHeader) {
        HeaderName owner = HeaderNames.create(ownerHeader);
        HeaderName secret = HeaderNames.create(secretHeader);
        return new Credentials() {
            @Override
            public Presented read(ServerRequest req) {
                Optional<String> s = req.headers().first(secret).map(String::strip);
                if (s.isEmpty()) {
                    return STANDARD.read(req);
                }
                // no owner header: a claim nobody owns, so the key alone never passes for an owner pair
                return new Presented(s.get(), req.headers().first(owner).map(String::strip).orElse(""));
            }

            @Override
            public String hint() {
                return "send headers '" + ownerHeader + ": <owner>' and '" + secretHeader + ": <key>' (a keys-file line owner:key), or "
                        + "'Authorization: Bearer <key>'";
            }
        };
    }

    private static String standardKey(ServerRequest req) {
        Optional<String> auth = req.headers().first(HeaderNames.AUTHORIZATION);
        if (auth.isPresent() && auth.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.get().substring(7).strip();
        }
        return req.headers().first(X_API_KEY).map(String::strip).orElse(null);
    }
}
