package dev.parley.runtime.tools;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A function the model may call: OpenAI's {@code tools[].function}. {@code parameters} is its JSON Schema,
 * or null for a function without parameters.
 */
public record FunctionTool(String name, JsonNode parameters) {
    public FunctionTool {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a function needs a name");
        }
    }
}
