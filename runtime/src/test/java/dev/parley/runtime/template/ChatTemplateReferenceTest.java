package dev.parley.runtime.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every real chat template of the pinned llama.cpp, rendered over fixed conversations, byte for byte
 * against transformers' jinja2 (scripts/templates/render_reference.py wrote the expectations).
 */
class ChatTemplateReferenceTest {

    /**
     * Renders known to differ, with the cause. All three need Python's '+' on strings, which is an
     * operator of Jinjava's expression parser that no extension point reaches.
     */
    static final Map<String, String> KNOWN_DIFFERENCES = Map.of(
            "meetkai-functionary-medium-v3.1.jinja/tools",
            "'...'|safe + text: jinja2's Markup HTML-escapes the string added to it; Jinjava concatenates",
            "meetkai-functionary-medium-v3.2.jinja/tools",
            "str + dict raises TypeError in Python; Jinjava concatenates the dict's text",
            "CohereForAI-c4ai-command-r-plus-tool_use.jinja/tools",
            "str + an undefined attribute raises UndefinedError in jinja2; Jinjava concatenates");

    private static final Map<String, ChatTemplate> COMPILED = new ConcurrentHashMap<>();

    static Stream<ReferenceCorpus.Case> cases() {
        return ReferenceCorpus.CASES.stream();
    }

    private static String key(ReferenceCorpus.Case c) {
        return c.template() + "/" + c.conversation();
    }

    private static ChatTemplate compiled(String name) {
        return COMPILED.computeIfAbsent(name, n -> ChatTemplate.compile(n, ReferenceCorpus.templateSource(n), ReferenceCorpus.FIXED_CLOCK));
    }

    /** Null when Java agrees with jinja2, else what differs. */
    private static String disagreement(ReferenceCorpus.Case c) {
        try {
            String out = compiled(c.template()).render(ReferenceCorpus.variables(c));
            if (c.error() != null) {
                return "jinja2 raised [" + c.error() + "] but Java rendered";
            }
            return c.output().equals(out) ? null : "output differs";
        } catch (ChatTemplateException e) {
            return c.error() != null ? null : "Java raised [" + e.getMessage() + "] but jinja2 rendered";
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersAsTransformersDoes(ReferenceCorpus.Case c) {
        String known = KNOWN_DIFFERENCES.get(key(c));
        Assumptions.assumeTrue(known == null, () -> "known difference: " + known);
        if (c.error() != null) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> compiled(c.template()).render(ReferenceCorpus.variables(c)));
            assertTrue(e.getMessage().contains(c.template()), "the error names the template: " + e.getMessage());
        } else {
            assertEquals(c.output(), compiled(c.template()).render(ReferenceCorpus.variables(c)));
        }
    }

    @Test
    void knownDifferencesStillDifferAndStayFew() {
        for (String k : KNOWN_DIFFERENCES.keySet()) {
            ReferenceCorpus.Case c = ReferenceCorpus.CASES.stream().filter(x -> key(x).equals(k)).findFirst().orElseThrow();
            assertTrue(disagreement(c) != null, k + " now matches jinja2: drop it from KNOWN_DIFFERENCES");
        }
        long plain = ReferenceCorpus.CASES.stream().filter(c -> c.conversation().equals("plain")).count();
        long plainKnown = KNOWN_DIFFERENCES.keySet().stream().filter(k -> k.endsWith("/plain")).count();
        long tools = ReferenceCorpus.CASES.stream().filter(c -> c.conversation().equals("tools")).count();
        long toolsKnown = KNOWN_DIFFERENCES.keySet().stream().filter(k -> k.endsWith("/tools")).count();
        assertEquals(0, plainKnown, "every plain-chat render must be identical");
        assertTrue((tools - toolsKnown) * 100 >= 95 * tools, "tools renders identical: " + (tools - toolsKnown) + "/" + tools);
        assertEquals(210, plain, "70 templates x 3 thinking settings");
    }

    @Test
    void theTemplatesWeShipForHaveNoKnownDifference() {
        for (String t : List.of("Qwen-Qwen3-0.6B.jinja", "meta-llama-Llama-3.1-8B-Instruct.jinja",
                "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja",
                "Mistral-Small-3.2-24B-Instruct-2506.jinja")) {
            List<ReferenceCorpus.Case> mine = ReferenceCorpus.CASES.stream().filter(c -> c.template().equals(t)).toList();
            assertEquals(4, mine.size(), t);
            for (ReferenceCorpus.Case c : mine) {
                assertEquals(null, disagreement(c), c.toString());
            }
        }
    }
}
