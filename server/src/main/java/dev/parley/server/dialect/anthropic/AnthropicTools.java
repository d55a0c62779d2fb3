package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.openai.ChatTools;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Anthropic's {@code tools} ({@code name}, {@code description}, {@code input_schema}) and
 * {@code tool_choice} ({@code auto}, {@code any}, {@code tool}, {@code none}, with
 * {@code disable_parallel_tool_use}), checked here and put in OpenAI's shape for {@link ChatTools}, so
 * both APIs share one tool machinery: the template's tools, the call parser, and for {@code any} or a
 * named tool a grammar that forces a well-formed call. Server tools (web search, bash, ...) are refused.
 *
 * @param marked whether a tool carries {@code cache_control}
 * @param forced whether tool_choice forces a call ({@code any} or {@code tool})
 */
record AnthropicTools(ChatTools chat, boolean marked, boolean forced) {

    private static final Set<String> TOOL = Set.of("name", "description", "input_schema", "cache_control", "type", "strict");

    static AnthropicTools parse(JsonNode tools, JsonNode toolChoice, ChatFormat format) {
        boolean marked = false;
        ArrayNode chatTools = null;
        Set<String> names = new HashSet<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw ApiError.badRequest("tools", "tools: must be a list of {\"name\", \"description\", \"input_schema\"}, got " + AnthropicMessages.echo(tools));
            }
            chatTools = Json.MAPPER.createArrayNode();
            for (int i = 0; i < tools.size(); i++) {
                JsonNode t = tools.get(i);
                String at = "tools." + i;
                if (!t.isObject()) {
                    throw ApiError.badRequest(at, at + ": must be an object");
                }
                JsonNode type = t.get("type");
                if (type != null && !type.isNull() && !"custom".equals(type.asText())) {
                    throw ApiError.badRequest(at + ".type", at + ": server tools (" + AnthropicMessages.echo(type) + ") are not supported: declare "
                            + "client tools ({\"name\", \"description\", \"input_schema\"}) and run them yourself");
                }
                for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!TOOL.contains(f)) {
                        throw ApiError.badRequest(Echo.text(at + "." + f), at + "." + Echo.text(f) + ": extra inputs are not permitted");
                    }
                }
                JsonNode name = t.get("name");
                if (name == null || !name.isTextual()) {
                    throw ApiError.badRequest(at + ".name", at + ".name: field required: a string");
                }
                JsonNode schema = t.get("input_schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiError.badRequest(at + ".input_schema", at + ".input_schema: field required: a JSON Schema object");
                }
                JsonNode description = t.get("description");
                if (description != null && !description.isNull() && !description.isTextual()) {
                    throw ApiError.badRequest(at + ".description", at + ".description: must be a string");
                }
                marked |= AnthropicMessages.cacheControl(t, at);
                names.add(name.textValue());
                ObjectNode f = Json.object().put("name", name.textValue());
                if (description != null && description.isTextual()) {
                    f.put("description", description.textValue());
                }
                f.set("parameters", schema);
                chatTools.addObject().put("type", "function").set("function", f);
            }
        }
        JsonNode choice = null;
        JsonNode parallel = null;
        boolean forced = false;
        if (toolChoice != null && !toolChoice.isNull()) {
            String type = toolChoice.isObject() ? toolChoice.path("type").asText() : "";
            if (!type.matches("auto|any|tool|none")) {
                throw ApiError.badRequest("tool_choice", "tool_choice: must be {\"type\": \"auto\"}, {\"type\": \"any\"}, "
                        + "{\"type\": \"tool\", \"name\": ...} or {\"type\": \"none\"}, got " + AnthropicMessages.echo(toolChoice));
            }
            for (Iterator<String> it = toolChoice.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("type") && !(f.equals("name") && type.equals("tool")) && !(f.equals("disable_parallel_tool_use") && !type.equals("none"))) {
                    throw ApiError.badRequest("tool_choice", "tool_choice." + Echo.text(f) + ": extra inputs are not permitted");
                }
            }
            JsonNode disable = toolChoice.get("disable_parallel_tool_use");
            if (disable != null && !disable.isNull()) {
                if (!disable.isBoolean()) {
                    throw ApiError.badRequest("tool_choice", "tool_choice.disable_parallel_tool_use: must be true or false");
                }
                parallel = BooleanNode.valueOf(!disable.booleanValue());
            }
            forced = type.equals("any") || type.equals("tool");
            if (forced && names.isEmpty()) {
                throw ApiError.badRequest("tool_choice", "tool_choice " + type + " needs at least one tool in 'tools'");
            }
            switch (type) {
                case "any" -> choice = Json.MAPPER.getNodeFactory().textNode("required");
                case "none" -> choice = Json.MAPPER.getNodeFactory().textNode("none");
                case "tool" -> {
                    JsonNode name = toolChoice.get("name");
                    if (name == null || !name.isTextual()) {
                        throw ApiError.badRequest("tool_choice", "tool_choice.name: field required: the tool to call");
                    }
                    if (!names.contains(name.textValue())) {
                        throw ApiError.badRequest("tool_choice", "tool_choice names tool " + Echo.text(name.textValue()) + ", which is not among the tools");
                    }
                    ObjectNode c = Json.object().put("type", "function");
                    c.putObject("function").put("name", name.textValue());
                    choice = c;
                }
                default -> choice = Json.MAPPER.getNodeFactory().textNode("auto");
            }
        }
        return new AnthropicTools(ChatTools.parse(chatTools, choice, parallel, format), marked, forced);
    }
}
