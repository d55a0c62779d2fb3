package dev.parley.server.dialect.byid;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.auth.Credentials;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * {@code POST /api/conversation/{conversationId}}, from a published "continue a conversation" API: the
 * client names the conversation, the server keeps it. A name the caller has not used yet starts an empty
 * thread owned by the caller's key; each exchange is stored like a turn of Parley's threads (atomically,
 * nothing when cancelled or failed, or nothing at all with {@code save_history: false}).
 *
 * <p>Body: {@code prompt} (required), {@code additional_context} (this exchange only, never stored),
 * {@code save_history} (true), {@code streaming} and {@code plaintext} (strings: "true" or "active" mean
 * on, anything else off; JSON true is on too), Parley's own options ({@code max_tokens}, sampling,
 * {@code stop}, {@code grammar}, {@code enable_thinking}); {@code model}, {@code user}, {@code source},
 * {@code board_id}, {@code chat_id} and {@code include_usage} are accepted and ignored (the loaded model
 * answers). The key may also come as query parameter {@code api_key}.
 */
public final class ConversationByIdRequests implements Dialect {

    private static final Set<String> FIELDS = RequestBody.fields(OptionFields.FIELDS, Set.of("prompt", "additional_context",
            "save_history", "streaming", "plaintext", "enable_thinking", "model", "user", "source", "board_id", "chat_id", "include_usage"));

    /** What {@code plaintext} adds to the exchange's context: the published API's "plain text instead of markdown". */
    static final String PLAIN_TEXT = "Answer in plain text, without Markdown formatting.";

    private static final int MAX_ID_LENGTH = 256;

    private final ThreadStore store;

    public ConversationByIdRequests(ThreadStore store) {
        this.store = store;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        endpoints.owns("/api/conversation/", ConversationByIdAnswer.ERRORS, Credentials.orQueryParameter("api_key"));
        rules.post("/api/conversation/{conversationId}", endpoints.turn(ConversationByIdAnswer.ERRORS, this::parse));
    }

    private Call parse(Incoming in) {
        String name = in.pathParam("conversationId");
        if (name.isEmpty() || name.length() > MAX_ID_LENGTH) {
            throw ApiError.badRequest("conversationId", "the conversation id must be 1 to " + MAX_ID_LENGTH + " characters");
        }
        RequestBody b = in.body();
        b.onlyFields(FIELDS);
        String prompt = b.optionalString("prompt");
        if (prompt == null || prompt.isBlank()) {
            throw ApiError.badRequest("prompt", "field 'prompt' is required: the next message of the conversation");
        }
        String context = b.optionalString("additional_context");
        if (context != null && context.isBlank()) {
            context = null; // the published API's default is a single space
        }
        if (flag(b, "plaintext")) {
            context = context == null ? PLAIN_TEXT : PLAIN_TEXT + "\n\n" + context;
        }
        boolean save = switch (b.get("save_history")) {
            case null -> true;
            case JsonNode v when v.isNull() -> true;
            case JsonNode v when v.isBoolean() -> v.booleanValue();
            case JsonNode v when v.isTextual() && (v.textValue().equals("true") || v.textValue().equals("false")) -> v.textValue().equals("true");
            case JsonNode v -> throw ApiError.badRequest("save_history", "field 'save_history' must be true or false, got " + v);
        };
        GenerationOptions options = OptionFields.parse(b, in.limits());
        ContextOverflow overflow = ContextOverflow.parse(b);
        Boolean thinking = b.optionalBool("enable_thinking");
        // One conversation, any protocol: a name that is one of the caller's thread ids (begun over OpenAI's
        // conversations, Parley's threads or /conversation/new) continues that thread.
        Conversation thread = store.get(in.owner(), name).orElseGet(() -> store.getOrCreate(in.owner(), threadId(in.owner(), name), name,
                Json.object().put("conversation_id", name).toString()));
        var source = new Turn.OnThread(thread, prompt, context, thinking, save);
        return new Call(in.turn(source, options, overflow, thread.id()), new ConversationByIdAnswer(flag(b, "streaming"), in.requestId()));
    }

    /** The published API's string switches: "true" or "active" is on, any other value off (JSON true also on). */
    static boolean flag(RequestBody b, String name) {
        JsonNode v = b.get(name);
        return v != null && (v.isBoolean() ? v.booleanValue() : v.isTextual() && (v.textValue().equals("true") || v.textValue().equals("active")));
    }

    /**
     * The stored thread's id for a caller's conversation name: a digest of owner and name, so that two
     * keys naming the same conversation get two threads and neither learns that the other exists.
     */
    static String threadId(String owner, String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((owner + "\n" + name).getBytes(StandardCharsets.UTF_8));
            return "cid_" + HexFormat.of().formatHex(d, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
