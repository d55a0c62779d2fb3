package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;

/** One log line per finished request: id, endpoint, tokens, time to first token, speed. */
final class RequestLog {

    private RequestLog() {
    }

    static void finished(System.Logger log, String id, String endpoint, GenerationEvent.Done d) {
        GenerationEvent.Usage u = d.usage();
        log.log(System.Logger.Level.INFO, String.format("request %s %s: %s, prompt %d (cached %d), generated %d, ttft %d ms, %.1f tokens/s",
                id, endpoint, d.reason().wireName(), u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(),
                u.timeToFirstTokenMillis(), u.tokensPerSecond()));
    }
}
