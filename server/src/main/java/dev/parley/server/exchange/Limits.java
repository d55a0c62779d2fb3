package dev.parley.server.exchange;

/** Request limits from the server's configuration. */
public record Limits(int maxTokens, int defaultMaxTokens, long maxBodyBytes) {}
