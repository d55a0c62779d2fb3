package dev.parley.server.exchange;

/**
 * What a dialect's parser makes of a request: the turn to run, the format to answer in, and, when the
 * request declared tools, how to read tool calls out of the reply (null: the reply is all text).
 */
public record Call(Turn turn, WireFormat format, ToolCalls toolCalls) {

    public Call(Turn turn, WireFormat format) {
        this(turn, format, null);
    }
}
