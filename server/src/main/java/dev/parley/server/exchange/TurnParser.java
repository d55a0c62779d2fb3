package dev.parley.server.exchange;

/** A dialect's request parser: checks the request and makes it a turn, or throws {@link dev.parley.server.api.ApiError}. */
@FunctionalInterface
public interface TurnParser {

    Call parse(Incoming request);
}
