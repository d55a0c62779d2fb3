package dev.parley.server.exchange;

import io.helidon.http.Method;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import io.helidon.common.uri.UriPath;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every route the server answers, as the dialects registered them: the truth behind a 405's
 * {@code Allow} header and the index at {@code /}. Dialects need do nothing for it: they register on
 * {@link #recording} rules, which note each method and path pattern on their way to Helidon.
 */
public final class RouteTable {

    /** A method ({@code null}: any) on a Helidon path pattern ({@code /v1/models/{id}}). */
    public record Route(Method method, String pattern, PathMatcher matcher) {

        public boolean matches(String path) {
            return matcher.match(UriPath.createFromDecoded(path)).accepted();
        }

        @Override
        public String toString() {
            return (method == null ? "ANY" : method.text()) + " " + pattern;
        }
    }

    private final List<Route> routes = new CopyOnWriteArrayList<>();

    /** Notes a route that is registered some other way (a Helidon feature's, like /metrics). */
    public void add(Method method, String pattern) {
        routes.add(new Route(method, pattern, PathMatchers.create(pattern)));
    }

    public List<Route> all() {
        return List.copyOf(routes);
    }

    /** The methods some route takes on {@code path}, sorted; empty when no route has this path. */
    public SortedSet<String> methodsOn(String path) {
        SortedSet<String> methods = new TreeSet<>();
        for (Route r : routes) {
            if (r.method() != null && r.matches(path)) {
                methods.add(r.method().text());
            }
        }
        return methods;
    }

    /** Rules that register on {@code rules} and note here every route given with a method and a path pattern. */
    public HttpRules recording(HttpRules rules) {
        return new Recording(rules);
    }

    /**
     * Helidon's shorthands (get, post, ...) all come to {@code route(Method, String, Handler)} or
     * {@code any(String, Handler...)}; routes built from a bare {@link HttpRoute} or an
     * {@link HttpService} carry no pattern to read and are not noted.
     */
    private final class Recording implements HttpRules {

        private final HttpRules rules;

        Recording(HttpRules rules) {
            this.rules = rules;
        }

        @Override
        public HttpRules route(Method method, String pathPattern, Handler handler) {
            add(method, pathPattern);
            rules.route(method, pathPattern, handler);
            return this;
        }

        @Override
        public HttpRules any(String pathPattern, Handler... handlers) {
            add(null, pathPattern);
            rules.any(pathPattern, handlers);
            return this;
        }

        @Override
        public HttpRules register(HttpService... service) {
            rules.register(service);
            return this;
        }

        @Override
        public HttpRules register(String pathPattern, HttpService... service) {
            rules.register(pathPattern, service);
            return this;
        }

        @Override
        public HttpRules route(HttpRoute route) {
            rules.route(route);
            return this;
        }
    }
}
