package dev.parley.runtime.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.jsonschema.GrammarBuilder;
import dev.parley.runtime.jsonschema.SchemaException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GBNF grammars that make a model call tools, in its family's exact syntax: for {@code tool_choice}
 * {@code "required"} (any of the tools) or a named function, one call or several
 * ({@code parallel_tool_calls}). Each function's arguments follow its JSON Schema
 * ({@link GrammarBuilder}). Output made under such a grammar parses with
 * {@code new ToolCallParser(style.format(), names)}.
 */
public final class ToolCallGrammar {

    /** A function declared without parameters takes an empty object. */
    private static final ObjectNode NO_PARAMETERS = JsonNodeFactory.instance.objectNode().put("type", "object")
            .set("properties", JsonNodeFactory.instance.objectNode());

    private ToolCallGrammar() {}

    /**
     * @param tools the declared functions
     * @param onlyFunction the function {@code tool_choice} names, or null for any of them ({@code "required"})
     * @param parallel whether several calls may follow one another; otherwise exactly one
     * @throws SchemaException when a function's parameters are not a schema the grammar can enforce
     * @throws IllegalArgumentException when there are no tools or {@code onlyFunction} is not among them
     */
    public static String forced(ToolCallStyle style, List<FunctionTool> tools, String onlyFunction, boolean parallel) {
        Map<String, FunctionTool> chosen = new LinkedHashMap<>();
        for (FunctionTool t : tools) {
            if (onlyFunction == null || t.name().equals(onlyFunction)) {
                chosen.putIfAbsent(t.name(), t);
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(onlyFunction == null ? "tool_choice needs at least one tool"
                    : "tool_choice names function '" + onlyFunction + "', which is not among the tools");
        }
        GrammarBuilder g = new GrammarBuilder();
        List<String> alternatives = new ArrayList<>();
        for (FunctionTool t : chosen.values()) {
            JsonNode params = t.parameters() == null || t.parameters().isNull() ? NO_PARAMETERS : t.parameters();
            String args = g.addSchema(t.name() + "-args", params);
            alternatives.add(g.addRule(t.name() + "-call", call(style, t.name(), args)));
        }
        String call = g.addRule("call", String.join(" | ", alternatives));
        g.addRule("root", root(style, call, parallel));
        return g.format();
    }

    private static String lit(String text) {
        return GrammarBuilder.literal(text);
    }

    /** The name as a JSON string, quoted for the grammar. */
    private static String jsonName(String name) {
        return lit(JsonNodeFactory.instance.textNode(name).toString());
    }

    private static String call(ToolCallStyle style, String name, String args) {
        String id = "[a-zA-Z0-9]{9}";
        return switch (style) {
            case HERMES -> lit("<tool_call>\n{\"name\": ") + " " + jsonName(name) + " " + lit(", \"arguments\": ") + " " + args
                    + " " + lit("}\n</tool_call>");
            case LLAMA3 -> lit("{\"name\": ") + " " + jsonName(name) + " " + lit(", \"parameters\": ") + " " + args + " " + lit("}");
            case GENERIC -> lit("{\"name\": ") + " " + jsonName(name) + " " + lit(", \"arguments\": ") + " " + args + " " + lit("}");
            case MISTRAL_NEMO -> lit("{\"name\": ") + " " + jsonName(name) + " " + lit(", \"arguments\": ") + " " + args + " "
                    + lit(", \"id\": \"") + " " + id + " " + lit("\"}");
            case MISTRAL_CALL_ID -> lit("[TOOL_CALLS]" + name + "[CALL_ID]") + " " + id + " " + lit("[ARGS]") + " " + args;
            case MISTRAL_ARGS -> lit("[TOOL_CALLS]" + name + "[ARGS]") + " " + args;
            case DEEPSEEK_R1 -> lit(DeepSeekRegion.CALL_BEGIN + "function" + DeepSeekRegion.SEP + name + "\n```json\n") + " " + args
                    + " " + lit("\n```" + DeepSeekRegion.CALL_END);
            case DEEPSEEK_V31 -> lit(DeepSeekRegion.CALL_BEGIN + name + DeepSeekRegion.SEP) + " " + args + " " + lit(DeepSeekRegion.CALL_END);
        };
    }

    private static String root(ToolCallStyle style, String call, boolean parallel) {
        String several = switch (style) {
            case HERMES, GENERIC -> call + " (" + lit("\n") + " " + call + ")*";
            case LLAMA3 -> call + " (" + lit("; ") + " " + call + ")*";
            case MISTRAL_NEMO -> call + " (" + lit(", ") + " " + call + ")*";
            case MISTRAL_CALL_ID, MISTRAL_ARGS, DEEPSEEK_R1, DEEPSEEK_V31 -> call + "+";
        };
        String calls = parallel ? several : call;
        return switch (style) {
            case MISTRAL_NEMO -> lit("[TOOL_CALLS][") + " " + calls + " " + lit("]");
            case DEEPSEEK_R1, DEEPSEEK_V31 -> lit(DeepSeekRegion.CALLS_BEGIN) + " " + calls + " " + lit(DeepSeekRegion.CALLS_END);
            default -> calls;
        };
    }
}
