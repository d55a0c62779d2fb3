package dev.parley.server.exchange;

import io.helidon.webserver.http.HttpRules;

/**
 * One published API Parley speaks: its routes, each made by {@link Endpoints} from the dialect's
 * request parser (a {@link TurnParser}) and answered through its encoder (a {@link WireFormat}).
 * A new dialect is a parser and an encoder, registered in {@code dialect.Dialects}.
 */
public interface Dialect {

    void register(HttpRules rules, Endpoints endpoints);
}
