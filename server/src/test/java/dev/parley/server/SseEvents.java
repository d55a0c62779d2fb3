package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Server-sent events of a whole response body, each {@code data} parsed as JSON unless it is {@code [DONE]}. */
record SseEvents(List<Event> events) {

    /** One event: its name (null when unnamed) and its data, parsed (null for [DONE]). */
    record Event(String name, JsonNode data, boolean done) {}

    static SseEvents parse(String body) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            String name = null;
            String data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    assertTrue(data == null, "one data line per event: " + block);
                    data = line.substring(6);
                } else {
                    throw new AssertionError("unexpected line in an event: " + line);
                }
            }
            assertTrue(data != null, "an event without data: " + block);
            events.add("[DONE]".equals(data) ? new Event(name, null, true) : new Event(name, Json.MAPPER.readTree(data), false));
        }
        return new SseEvents(events);
    }

    List<JsonNode> data() {
        return events.stream().filter(e -> !e.done()).map(Event::data).toList();
    }
}
