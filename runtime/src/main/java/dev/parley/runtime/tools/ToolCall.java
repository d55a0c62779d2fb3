package dev.parley.runtime.tools;

/**
 * One function call the model made: {@code argumentsJson} is the arguments object as JSON text, the
 * way OpenAI's {@code tool_calls[].function.arguments} carries it.
 */
public record ToolCall(String id, String name, String argumentsJson) {}
