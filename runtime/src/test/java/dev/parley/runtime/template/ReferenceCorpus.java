package dev.parley.runtime.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.bindings.NativeLibraries;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The jinja2 reference renders (scripts/templates/render_reference.py) and the inputs that made them. */
final class ReferenceCorpus {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One render: expected output, or the error jinja2 raised. */
    record Case(String template, String conversation, Boolean enableThinking, String output, String error) {
        @Override
        public String toString() {
            return template + " / " + conversation + (conversation.equals("plain") ? " / thinking=" + enableThinking : "");
        }
    }

    static final Map<String, Object> CONVERSATIONS;
    static final List<Case> CASES;
    static final Clock FIXED_CLOCK;
    static final String BOS;
    static final String EOS;

    static {
        try (InputStream ref = ReferenceCorpus.class.getResourceAsStream("/chat-templates/reference.json")) {
            JsonNode root = JSON.readTree(ref);
            BOS = root.get("bos_token").asText();
            EOS = root.get("eos_token").asText();
            FIXED_CLOCK = Clock.fixed(LocalDateTime.parse(root.get("now").asText()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode thinking = c.get("enable_thinking");
                cases.add(new Case(c.get("template").asText(), c.get("conversation").asText(),
                        thinking == null || thinking.isNull() ? null : thinking.asBoolean(),
                        c.has("output") ? c.get("output").asText() : null,
                        c.has("error") ? c.get("error").asText() : null));
            }
            CASES = List.copyOf(cases);
            Path conversations = Path.of(System.getProperty("parley.root"), "scripts/templates/conversations.json");
            @SuppressWarnings("unchecked")
            Map<String, Object> conv = JSON.readValue(conversations.toFile(), LinkedHashMap.class);
            CONVERSATIONS = conv;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ReferenceCorpus() {
    }

    static Path templatesDir() {
        return NativeLibraries.llamaCacheDir().resolve("src/models/templates");
    }

    static String templateSource(String name) {
        try {
            return Files.readString(templatesDir().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The variables transformers passes for a case. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> variables(Case c) {
        Map<String, Object> conv = (Map<String, Object>) CONVERSATIONS.get(c.conversation());
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", conv.get("messages"));
        vars.put("tools", conv.get("tools"));
        vars.put("documents", null);
        vars.put("add_generation_prompt", true);
        vars.put("bos_token", BOS);
        vars.put("eos_token", EOS);
        if (c.enableThinking() != null) {
            vars.put("enable_thinking", c.enableThinking());
        }
        return vars;
    }
}
