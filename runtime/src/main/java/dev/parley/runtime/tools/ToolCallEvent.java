package dev.parley.runtime.tools;

/**
 * What a {@link ToolCallParser} makes of the model's text, in order. A call is announced with its name
 * ({@link CallStarted}) before any of its arguments ({@link ArgumentsDelta}); the deltas of one call,
 * concatenated, are its {@link ToolCall#argumentsJson()}. Markup never appears in {@link Content}.
 */
public sealed interface ToolCallEvent {

    /** Plain text for the message's content. */
    record Content(String text) implements ToolCallEvent {}

    /** A call began; {@code index} counts calls from 0 within the message. */
    record CallStarted(int index, String id, String name) implements ToolCallEvent {}

    /** The next piece of the arguments JSON of call {@code index}. */
    record ArgumentsDelta(int index, String fragment) implements ToolCallEvent {}

    /** Call {@code index} is complete. */
    record CallFinished(int index, ToolCall call) implements ToolCallEvent {}
}
