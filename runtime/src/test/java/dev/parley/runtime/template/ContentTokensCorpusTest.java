package dev.parley.runtime.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.runtime.engine.ContentTokenizer;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.testmodel.TestModels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeping message text from becoming control tokens changes nothing for ordinary conversations: over
 * the reference corpus (70 real templates, plain and tools conversations), the prompt rendered from
 * the defused conversation is the reference render, and its tokens are those the old way gave
 * (the whole render tokenized with special tokens parsed), on the tiny Qwen3 model's vocabulary.
 */
class ContentTokensCorpusTest {

    private static LlamaModel model;
    private static ContentTokenizer tokenizer;
    private static final Map<String, ChatTemplate> COMPILED = new ConcurrentHashMap<>();

    @BeforeAll
    static void load() {
        model = LlamaModel.load(TestModels.tinyQwen3(), ModelOptions.cpu());
        tokenizer = new ContentTokenizer(model.vocab());
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static Stream<ReferenceCorpus.Case> cases() {
        return ReferenceCorpus.CASES.stream().filter(c -> c.output() != null);
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ordinaryConversationsTokenizeExactlyAsBefore(ReferenceCorpus.Case c) {
        Map<String, Object> vars = ReferenceCorpus.variables(c);
        Prompt.Chat chat = new Prompt.Chat((List<Map<String, Object>>) vars.get("messages"), true, c.enableThinking(),
                (List<Map<String, Object>>) vars.get("tools"), Map.of());
        Prompt.Chat defused = tokenizer.defuse(chat);
        Map<String, Object> defusedVars = new HashMap<>(vars);
        defusedVars.put("messages", defused.messages());
        defusedVars.put("tools", defused.tools());
        ChatTemplate t = COMPILED.computeIfAbsent(c.template(),
                n -> ChatTemplate.compile(n, ReferenceCorpus.templateSource(n), ReferenceCorpus.FIXED_CLOCK));
        String rendered = t.render(defusedVars);
        if (!c.output().equals(t.render(vars))) {
            return; // one of the renders ChatTemplateReferenceTest lists as differing from jinja2: nothing to compare
        }
        assertEquals(c.output(), rendered);
        assertTrue(!ContentTokenizer.hasPlaceholders(rendered));
        assertArrayEquals(model.vocab().tokenize(c.output(), false, true), tokenizer.tokens(rendered));
    }
}
