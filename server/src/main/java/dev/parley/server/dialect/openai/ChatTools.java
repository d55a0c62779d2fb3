package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.jsonschema.SchemaException;
import dev.parley.runtime.tools.FunctionTool;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.ToolCalls;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's {@code tools}, {@code tool_choice} and {@code parallel_tool_calls}, checked, and what they make
 * of a turn: the tools the template shows the model, how the reply's calls are read, and for
 * {@code required} or a named function a grammar that forces a well-formed call. The Anthropic dialect
 * reuses it with its tools and tool_choice put in OpenAI's shape; Ollama's {@code tools} have OpenAI's
 * shape, so its dialect reads them here too.
 *
 * @param templateTools the tools for the chat template, or null (none declared, or {@code tool_choice: "none"})
 * @param toolCalls how to read calls out of the reply, or null when none may come
 * @param grammar a grammar forcing a call, or null
 */
public record ChatTools(List<Map<String, Object>> templateTools, ToolCalls toolCalls, String grammar) {

    public static final ChatTools NONE = new ChatTools(null, null, null);

    /**
     * @param format the model's chat format: its call syntax, grammar and parser
     */
    public static ChatTools parse(JsonNode tools, JsonNode toolChoice, JsonNode parallel, ChatFormat format) {
        List<FunctionTool> functions = functions(tools);
        boolean parallelCalls = parallel == null || parallel.isNull() || bool(parallel, "parallel_tool_calls");
        Choice choice = choice(toolChoice, functions);
        if (functions.isEmpty()) {
            if (choice.forced()) {
                throw ApiError.badRequest("tool_choice", "tool_choice '" + choice.describe() + "' needs at least one tool in 'tools'");
            }
            return NONE;
        }
        if (choice.kind == Kind.NONE) {
            return NONE; // as OpenAI: the model is told of no tools and answers in text
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> templateTools = Json.MAPPER.convertValue(tools, List.class);
        Set<String> names = new LinkedHashSet<>();
        functions.forEach(f -> names.add(f.name()));
        ToolCalls calls = new ToolCalls(format, names);
        if (!choice.forced()) {
            return new ChatTools(templateTools, calls, null);
        }
        try {
            return new ChatTools(templateTools, calls, format.forcedCallGrammar(functions, choice.function, parallelCalls));
        } catch (SchemaException e) {
            throw ApiError.badRequest("tools", "a function's parameters cannot be enforced: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("tool_choice", e.getMessage());
        }
    }

    private enum Kind { NONE, AUTO, REQUIRED, FUNCTION }

    private record Choice(Kind kind, String function) {
        boolean forced() {
            return kind == Kind.REQUIRED || kind == Kind.FUNCTION;
        }

        String describe() {
            return kind == Kind.FUNCTION ? "function " + function : kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static Choice choice(JsonNode c, List<FunctionTool> functions) {
        if (c == null || c.isNull()) {
            return new Choice(Kind.AUTO, null);
        }
        if (c.isTextual()) {
            return switch (c.textValue()) {
                case "none" -> new Choice(Kind.NONE, null);
                case "auto" -> new Choice(Kind.AUTO, null);
                case "required" -> new Choice(Kind.REQUIRED, null);
                default -> throw ApiError.badRequest("tool_choice", "tool_choice '" + c.textValue()
                        + "' is unknown: use none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}");
            };
        }
        JsonNode name = c.path("function").path("name");
        if (!c.isObject() || !"function".equals(c.path("type").asText()) || !name.isTextual()) {
            throw ApiError.badRequest("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}, got " + c);
        }
        if (functions.stream().noneMatch(f -> f.name().equals(name.textValue()))) {
            throw ApiError.badRequest("tool_choice", "tool_choice names function '" + name.textValue() + "', which is not among the tools");
        }
        return new Choice(Kind.FUNCTION, name.textValue());
    }

    private static List<FunctionTool> functions(JsonNode tools) {
        List<FunctionTool> out = new ArrayList<>();
        if (tools == null || tools.isNull()) {
            return out;
        }
        if (!tools.isArray()) {
            throw ApiError.badRequest("tools", "field 'tools' must be a list of {\"type\": \"function\", \"function\": {...}}");
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            String at = "tools[" + i + "]";
            if (!t.isObject() || !"function".equals(t.path("type").asText())) {
                throw ApiError.badRequest(at, at + " must be {\"type\": \"function\", \"function\": {...}}: only function tools are supported");
            }
            JsonNode f = t.path("function");
            JsonNode name = f.path("name");
            if (!name.isTextual() || !name.textValue().matches("[a-zA-Z0-9_.-]{1,64}")) {
                throw ApiError.badRequest(at + ".function.name", at + ".function.name must be 1-64 letters, digits, '_', '.' or '-'");
            }
            if (!seen.add(name.textValue())) {
                throw ApiError.badRequest(at + ".function.name", "two tools are named '" + name.textValue() + "'");
            }
            JsonNode params = f.get("parameters");
            if (params != null && !params.isNull() && !params.isObject()) {
                throw ApiError.badRequest(at + ".function.parameters", at + ".function.parameters must be a JSON Schema object");
            }
            out.add(new FunctionTool(name.textValue(), params));
        }
        return out;
    }

    private static boolean bool(JsonNode v, String field) {
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field, "field '" + field + "' must be true or false, got " + v);
        }
        return v.booleanValue();
    }
}
