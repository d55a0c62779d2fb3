package dev.parley.server.exchange;

import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.tools.ToolCallFormat;
import dev.parley.runtime.tools.ToolCallParser;
import java.util.Set;

/**
 * A turn whose reply may hold tool calls: the chat format the request was read for (the one whose
 * grammar forced the call, if one did) and the declared functions' names. The exchange reads the
 * reply's content through the format's {@link ToolCallParser}, so every dialect gets calls as events
 * and never the markup.
 */
public record ToolCalls(ChatFormat format, Set<String> functionNames) {

    public ToolCalls {
        functionNames = Set.copyOf(functionNames);
    }

    /** Calls read in this markup, with the markers every format reads. */
    public ToolCalls(ToolCallFormat markup, Set<String> functionNames) {
        this(ChatFormat.reading(markup), functionNames);
    }

    ToolCallParser parser() {
        return format.callParser(functionNames);
    }
}
