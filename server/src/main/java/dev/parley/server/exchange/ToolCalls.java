package dev.parley.server.exchange;

import dev.parley.runtime.tools.ToolCallFormat;
import dev.parley.runtime.tools.ToolCallParser;
import java.util.Set;

/**
 * A turn whose reply may hold tool calls: the markup the model writes them in (detected from its chat
 * template) and the declared functions' names. The exchange reads the reply's content through a
 * {@link ToolCallParser} made from this, so every dialect gets calls as events and never the markup.
 */
public record ToolCalls(ToolCallFormat format, Set<String> functionNames) {

    public ToolCalls {
        functionNames = Set.copyOf(functionNames);
    }

    ToolCallParser parser() {
        return new ToolCallParser(format, functionNames);
    }
}
