package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.format.Thinking;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.api.Messages;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/responses}, OpenAI's Responses API, on the same core as chat completions.
 *
 * <p>Conversation state: a response with {@code store} (the default, as OpenAI) whose input is one user
 * message (a string or one message item) and that declares no tools is kept as a Parley thread (system
 * prompt = {@code instructions}); its id, stored on the messages it added (older ids had the form
 * {@code resp_<thread>_<position>}), can be given as {@code previous_response_id} to continue with the next
 * user message, reusing the stored history and the KV cache. Only the latest response of a conversation can
 * be continued (a thread has no branches). With {@code conversation}, the input messages go after the
 * thread's messages and are stored with the reply ({@link OpenAiConversations}). Other responses (several
 * input items, tools) are stateless: their ids cannot be continued, and the client sends the history as
 * input items, as it does with chat completions.
 */
final class ResponsesRequests {

    private static final Set<String> FIELDS = RequestBody.fields(SamplingFields.NAMES, OpenAiRequests.IGNORED, PromptCacheHints.FIELDS,
            Set.of("model", "input", "instructions", "stream", "max_output_tokens", "tools", "tool_choice", "parallel_tool_calls", "text",
                    "reasoning", "previous_response_id", "truncation", "include", "top_logprobs", "background", "max_tool_calls",
                    "stream_options", "grammar", "conversation"));

    private final String model;
    /** The model name an answer carries (with several models, the one the request named). */
    private java.util.function.UnaryOperator<String> answering;
    private final ChatFormat chatFormat;
    private final ThreadStore store;

    /** With several models: answers carry the name {@code answering} gives for the request's model. */
    ResponsesRequests answering(java.util.function.UnaryOperator<String> answering) {
        this.answering = answering;
        return this;
    }

    ResponsesRequests(String model, ChatFormat chatFormat, ThreadStore store) {
        this.model = model;
        this.answering = requested -> model;
        this.chatFormat = chatFormat;
        this.store = store;
    }

    Call parse(Incoming in) {
        RequestBody b = in.body();
        b.onlyFields(FIELDS);
        if (b.bool("background", false)) {
            throw ApiError.badRequest("background", "background responses are not supported: leave 'background' out (or false)");
        }
        int topLogprobs = topLogprobs(b);
        String truncation = b.optionalString("truncation");
        if (truncation != null && !truncation.matches("auto|disabled")) {
            throw ApiError.badRequest("truncation", "truncation must be auto or disabled");
        }
        String instructions = b.optionalString("instructions");
        ChatTools tools = ChatTools.parse(chatTools(b.get("tools")), chatToolChoice(b.get("tool_choice")), b.get("parallel_tool_calls"), chatFormat);
        JsonNode text = b.get("text");
        String format = ResponseFormats.grammar(text == null ? null : text.get("format"), "text.format", "schema");
        String grammar = OpenAiRequests.oneGrammar(b, tools.grammar(), "tool_choice", format, "text.format");
        Boolean thinking = Thinking.underForcedOutput(null, tools.grammar() != null || format != null);
        int max = OptionFields.maxTokens(b, in.limits(), "max_output_tokens");
        // OpenAI's truncation: "auto" drops the oldest input, "disabled" refuses; unset, a stored conversation truncates
        ContextOverflow overflow = truncation == null ? null : truncation.equals("auto") ? ContextOverflow.TRUNCATE : ContextOverflow.ERROR;
        GenerationOptions options = new GenerationOptions(max, SamplingFields.parse(b), List.of(), grammar).withLogprobs(topLogprobs);
        PromptCacheHints cache = PromptCacheHints.parse(b); // before a thread is created for the turn

        boolean keep = b.bool("store", true);
        String previous = b.optionalString("previous_response_id");
        String conversation = conversationId(b.get("conversation"));
        String lone = ResponsesInput.loneUserText(b.get("input"));
        Turn.Source source;
        String id = newResponseId();
        String key = null;
        if (conversation != null) {
            if (previous != null) {
                throw ApiError.badRequest("previous_response_id", "send either conversation or previous_response_id, not both");
            }
            if (tools.templateTools() != null) {
                throw ApiError.badRequest("tools", "tools cannot be used with conversation: Parley keeps text messages in conversations");
            }
            Conversation c = store.get(in.owner(), conversation).orElseThrow(() ->
                    new ApiError(404, "Conversation with id '" + Echo.text(conversation) + "' not found.", "conversation", null));
            List<Turn.InputMessage> input = ResponsesInput.storable(b.get("input"), "input");
            Turn.InputMessage last = input.getLast();
            if (!last.role().equals("user")) {
                throw ApiError.badRequest("input", "the last input item must be a user message: it is what the model answers");
            }
            if (instructions != null && !instructions.isEmpty()) {
                // for this response only, as OpenAI's instructions: the stored conversation keeps its own
                String system = c.systemPrompt() == null || c.systemPrompt().isEmpty() ? instructions : c.systemPrompt() + "\n\n" + instructions;
                c = new Conversation(c.id(), c.owner(), c.title(), system, c.metadata(), c.createdAt(), c.updatedAt(), c.messageCount(),
                        c.parentId(), c.forkedAtMessageId());
            }
            source = new Turn.OnThread(c, last.content(), null, thinking, keep, List.of(), input.subList(0, input.size() - 1), keep ? id : null);
            key = c.id();
        } else if (previous != null) {
            Conversation c = previousThread(in, previous);
            if (lone == null || tools.templateTools() != null) {
                throw ApiError.badRequest("input", "with previous_response_id, input must be one user message (a string), without tools: "
                        + "Parley keeps text conversations only; send the whole history as input items instead");
            }
            if (instructions != null && !instructions.equals(c.systemPrompt() == null ? "" : c.systemPrompt())) {
                throw ApiError.badRequest("instructions", "instructions differ from those of the conversation previous_response_id continues");
            }
            source = new Turn.OnThread(c, lone, null, thinking, keep, List.of(), List.of(), keep ? id : null);
            key = c.id();
        } else if (keep && lone != null && tools.templateTools() == null) {
            Conversation c = store.create(in.owner(), "responses", instructions == null ? "" : instructions, "{}");
            source = new Turn.OnThread(c, lone, null, thinking, true, List.of(), List.of(), id);
            key = c.id();
        } else {
            var messages = Messages.parse(ResponsesInput.messages(b.get("input"), instructions), "input");
            source = new Turn.Given(new Prompt.Chat(messages, true, thinking, tools.templateTools(), Map.of()));
            keep = false;
        }
        ObjectNode echo = Json.object();
        echo.put("instructions", instructions);
        echo.put("max_output_tokens", max);
        echo.put("previous_response_id", previous);
        echo.set("conversation", conversation == null ? null : Json.object().put("id", conversation));
        echo.put("store", keep);
        echo.put("parallel_tool_calls", b.bool("parallel_tool_calls", true));
        echo.set("metadata", b.has("metadata") ? b.get("metadata") : Json.object());
        echo.set("tools", b.has("tools") ? b.get("tools") : Json.MAPPER.createArrayNode());
        echo.set("tool_choice", b.has("tool_choice") ? b.get("tool_choice") : Json.MAPPER.getNodeFactory().textNode("auto"));
        echo.set("text", text != null ? text : Json.object().set("format", Json.object().put("type", "text")));
        echo.put("truncation", ContextOverflow.orDefault(overflow, source) != ContextOverflow.ERROR ? "auto" : "disabled");
        return new Call(in.turn(id, source, cache.applyTo(options), overflow, cache.conversation(key)), new ResponsesFormat(id, answering.apply(in.model()), b.bool("stream", false), echo,
                topLogprobs >= 0), tools.toolCalls());
    }

    /**
     * Logprobs of the output text: asked by {@code include: ["message.output_text.logprobs"]} or by
     * {@code top_logprobs} (0-20 alternatives); -1 when not asked.
     */
    private static int topLogprobs(RequestBody b) {
        Integer top = b.optionalInt("top_logprobs", 0, 20);
        boolean included = false;
        JsonNode include = b.get("include");
        if (include != null && !include.isNull()) {
            if (!include.isArray()) {
                throw ApiError.badRequest("include", "field 'include' must be a list of strings");
            }
            for (JsonNode i : include) {
                included |= "message.output_text.logprobs".equals(i.asText());
            }
        }
        return top != null ? top : included ? 0 : -1;
    }

    static String newResponseId() {
        return "resp_" + UUID.randomUUID().toString().replace("-", "") + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** {@code conversation}: a conversation id, or {@code {"id": ...}}; null when absent. */
    static String conversationId(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        JsonNode id = v.isObject() ? v.get("id") : v;
        if (id == null || !id.isTextual() || id.textValue().isEmpty() || (v.isObject() && v.size() != 1)) {
            throw ApiError.badRequest("conversation", "field 'conversation' must be a conversation id or {\"id\": \"conv_...\"}");
        }
        return id.textValue();
    }

    /**
     * The thread behind a stored response, which must be its conversation's latest: a response id of the
     * stored messages, or one of the older derived form {@code resp_<thread>_<position>}.
     */
    private Conversation previousThread(Incoming in, String responseId) {
        ApiError unknown = new ApiError(404, "previous_response_id '" + Echo.text(responseId) + "' is not a stored response", "previous_response_id", "not_found");
        List<StoredMessage> messages = store.responseMessages(in.owner(), responseId);
        Conversation c;
        int reply;
        if (!messages.isEmpty()) {
            c = store.get(in.owner(), messages.getFirst().conversationId()).orElseThrow(() -> unknown);
            reply = messages.getLast().position();
        } else {
            String[] parts = responseId.startsWith("resp_") ? responseId.substring(5).split("_") : new String[0];
            if (parts.length != 2 || !parts[1].matches("\\d{1,9}")) {
                throw unknown;
            }
            c = store.get(in.owner(), "conv_" + parts[0]).orElseThrow(() -> unknown);
            reply = Integer.parseInt(parts[1]) + 1;
        }
        List<StoredMessage> history = store.messages(c.id());
        if (history.isEmpty() || history.getLast().position() != reply) {
            throw ApiError.badRequest("previous_response_id", "previous_response_id '" + Echo.text(responseId)
                    + "' is not the latest response of its conversation: Parley continues only from the latest");
        }
        return c;
    }

    /** The Responses API's flat function tools ({@code {type, name, parameters}}) in chat completions' shape. */
    private static JsonNode chatTools(JsonNode tools) {
        if (tools == null || !tools.isArray()) {
            return tools;
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            if (!"function".equals(t.path("type").asText())) {
                throw ApiError.badRequest("tools[" + i + "]", "tools[" + i + "]: only function tools are supported, got type '" + t.path("type").asText() + "'");
            }
            ObjectNode f = Json.object();
            for (String field : new String[] {"name", "description", "parameters"}) {
                if (t.has(field)) {
                    f.set(field, t.get(field));
                }
            }
            out.addObject().put("type", "function").set("function", f);
        }
        return out;
    }

    /** {@code {"type": "function", "name": ...}} in chat completions' shape; strings pass as they are. */
    private static JsonNode chatToolChoice(JsonNode choice) {
        if (choice != null && choice.isObject() && "function".equals(choice.path("type").asText()) && choice.has("name")) {
            ObjectNode c = Json.object().put("type", "function");
            c.putObject("function").set("name", choice.get("name"));
            return c;
        }
        return choice;
    }
}
