package dev.parley.server.config;

import java.time.Duration;

/**
 * Limits on uploaded files (files as conversation context).
 *
 * @param maxFileBytes   largest upload; more is a 413 before the rest is read
 * @param maxTextChars   most characters of text one file may yield; more is a 413
 * @param extractTimeout wall-clock time extracting one file's text may take
 */
public record FileSettings(long maxFileBytes, long maxTextChars, Duration extractTimeout) {
}
