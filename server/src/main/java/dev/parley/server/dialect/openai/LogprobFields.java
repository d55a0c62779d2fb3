package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.TokenLogprob;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's {@code logprobs}, {@code top_logprobs} and {@code logit_bias}: reading them (token ids checked
 * against the vocabulary before anything reaches llama.cpp) and writing the logprobs of chat
 * ({@code logprobs.content[]}) and legacy completions ({@code tokens}, {@code token_logprobs}, ...).
 */
final class LogprobFields {

    private LogprobFields() {
    }

    /** Chat: {@code logprobs} true, with {@code top_logprobs} (0-20) alternatives; -1 when not asked. */
    static int chatTopLogprobs(RequestBody b) {
        boolean on = b.bool("logprobs", false);
        Integer top = b.optionalInt("top_logprobs", 0, 20);
        if (top != null && !on) {
            throw ApiError.badRequest("top_logprobs", "top_logprobs needs 'logprobs': true");
        }
        return on ? (top == null ? 0 : top) : -1;
    }

    /** Completions: {@code logprobs} is the number of alternatives (0-5); -1 when not asked. */
    static int completionTopLogprobs(RequestBody b) {
        Integer n = b.optionalInt("logprobs", 0, 5);
        return n == null ? -1 : n;
    }

    /** {@code {"token id": bias}}, biases -100 to 100. */
    static Map<Integer, Float> logitBias(RequestBody b, int vocabularySize) {
        JsonNode bias = b.get("logit_bias");
        if (bias == null || bias.isNull()) {
            return Map.of();
        }
        if (!bias.isObject()) {
            throw ApiError.badRequest("logit_bias", "field 'logit_bias' must be an object of token id to bias (-100 to 100)");
        }
        Map<Integer, Float> out = new HashMap<>();
        for (var it = bias.fields(); it.hasNext(); ) {
            var e = it.next();
            int token;
            try {
                token = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw ApiError.badRequest("logit_bias", "logit_bias key '" + e.getKey() + "' is not a token id");
            }
            if (token < 0 || token >= vocabularySize) {
                throw ApiError.badRequest("logit_bias", "logit_bias token " + token + " is not in the vocabulary: ids go from 0 to " + (vocabularySize - 1));
            }
            JsonNode v = e.getValue();
            if (!v.isNumber() || v.doubleValue() < -100 || v.doubleValue() > 100) {
                throw ApiError.badRequest("logit_bias", "logit_bias for token " + token + " must be a number from -100 to 100, got " + v);
            }
            out.put(token, v.floatValue());
        }
        return out;
    }

    /** Chat's {@code logprobs.content} entries. */
    static void addChat(ArrayNode content, List<TokenLogprob> tokens) {
        for (TokenLogprob t : tokens) {
            ObjectNode o = entry(content.addObject(), t.text(), t.logprob());
            ArrayNode top = o.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : t.top()) {
                entry(top.addObject(), a.text(), a.logprob());
            }
        }
    }

    private static ObjectNode entry(ObjectNode o, String text, float logprob) {
        o.put("token", text).put("logprob", logprob);
        ArrayNode bytes = o.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return o;
    }

    /** Legacy completions' {@code logprobs} object; {@code offset} is where the first token's text starts in the reply. */
    static ObjectNode completion(List<TokenLogprob> tokens, int offset) {
        ObjectNode o = Json.object();
        ArrayNode texts = o.putArray("tokens");
        ArrayNode logprobs = o.putArray("token_logprobs");
        ArrayNode tops = o.putArray("top_logprobs");
        ArrayNode offsets = o.putArray("text_offset");
        for (TokenLogprob t : tokens) {
            texts.add(t.text());
            logprobs.add(t.logprob());
            ObjectNode top = tops.addObject();
            for (TokenLogprob.Alternative a : t.top()) {
                top.put(a.text(), a.logprob());
            }
            offsets.add(offset);
            offset += t.text().length();
        }
        return o;
    }
}
