package dev.parley.runtime.engine;

import java.util.List;
import java.util.Map;

/** Helpers for reading finished generations in tests. */
final class Generations {

    private Generations() {
    }

    static Prompt.Chat chat(String... userAndAssistantTurns) {
        List<Map<String, Object>> messages = new java.util.ArrayList<>();
        for (int i = 0; i < userAndAssistantTurns.length; i++) {
            messages.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", userAndAssistantTurns[i]));
        }
        return Prompt.Chat.of(messages, null);
    }

    static String raw(List<GenerationEvent> events) {
        StringBuilder b = new StringBuilder();
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                b.append(p.raw());
            }
        }
        return b.toString();
    }

    static GenerationEvent.Started started(List<GenerationEvent> events) {
        return (GenerationEvent.Started) events.getFirst();
    }

    static GenerationEvent.Done done(List<GenerationEvent> events) {
        GenerationEvent last = events.getLast();
        if (last instanceof GenerationEvent.Done d) {
            return d;
        }
        throw new AssertionError("expected Done, got " + last);
    }

    static int pieceTokens(List<GenerationEvent> events) {
        return events.stream().filter(e -> e instanceof GenerationEvent.Piece).mapToInt(e -> ((GenerationEvent.Piece) e).tokens()).sum();
    }
}
