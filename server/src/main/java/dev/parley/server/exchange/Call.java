package dev.parley.server.exchange;

/** What a dialect's parser makes of a request: the turn to run and the format to answer in. */
public record Call(Turn turn, WireFormat format) {}
