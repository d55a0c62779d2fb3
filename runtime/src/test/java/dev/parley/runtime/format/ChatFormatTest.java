package dev.parley.runtime.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.template.ChatTemplate;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.tools.ToolCallStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The format chosen from the real templates of the pinned llama.cpp (fetched into the cache by
 * ./parley; read as text, no natives), and where a reply starts after each one's rendered prompt.
 */
class ChatFormatTest {

    static String template(String name) throws IOException {
        return Files.readString(NativeLibraries.llamaCacheDir().resolve("src/models/templates").resolve(name));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "Qwen-Qwen3-0.6B.jinja, Hermes, HERMES, true",
            "Qwen-Qwen2.5-7B-Instruct.jinja, Hermes, HERMES, false",
            "Qwen-QwQ-32B.jinja, Hermes, HERMES, true",
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja, Hermes, HERMES, false",
            "meta-llama-Llama-3.1-8B-Instruct.jinja, Llama3, LLAMA3, false",
            "meta-llama-Llama-3.3-70B-Instruct.jinja, Llama3, LLAMA3, false",
            "mistralai-Mistral-Nemo-Instruct-2407.jinja, Mistral, MISTRAL_NEMO, false",
            "Mistral-Small-3.2-24B-Instruct-2506.jinja, Mistral, MISTRAL_CALL_ID, false",
            "unsloth-mistral-Devstral-Small-2507.jinja, Mistral, MISTRAL_ARGS, false",
            "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja, DeepSeek, DEEPSEEK_R1, true",
            "llama-cpp-deepseek-r1.jinja, DeepSeek, DEEPSEEK_R1, true",
            "deepseek-ai-DeepSeek-V3.1.jinja, DeepSeek, DEEPSEEK_V31, true",
            "Qwen3-Coder.jinja, Plain, GENERIC, false",
            "GLM-4.6.jinja, Plain, GENERIC, true",
            "google-gemma-2-2b-it.jinja, Plain, GENERIC, false",
    })
    void choosesTheFamilyAndSyntaxFromTheTemplate(String file, String family, ToolCallStyle style, boolean thinks) throws IOException {
        ChatFormat f = ChatFormat.detect(template(file));
        assertEquals(family, f.getClass().getSimpleName());
        assertEquals(style, f.callStyle());
        assertEquals(style.format(), f.callMarkup());
        assertEquals(thinks, f.thinking().capable(), "whether the template can think");
        assertEquals(Thinking.KNOWN, f.thinking().markers(), "every format reads both marker pairs, as before formats had their own");
    }

    @Test
    void theTestModelsPresetsGetTheirFamilies() throws IOException {
        assertInstanceOf(ChatFormat.Hermes.class, ChatFormat.detect(template(ModelShape.TINY_QWEN3.templateFile())));
        assertInstanceOf(ChatFormat.Llama3.class, ChatFormat.detect(template(ModelShape.TINY_LLAMA.templateFile())));
        assertInstanceOf(ChatFormat.Hermes.class, ChatFormat.detect(template(ModelShape.BENCH_QWEN3.templateFile())));
    }

    @Test
    void noTemplateIsThePlainFormatThatThinksNot() {
        ChatFormat f = ChatFormat.detect(null);
        assertSame(ChatFormat.UNTEMPLATED, f);
        assertInstanceOf(ChatFormat.Plain.class, f);
        assertFalse(f.thinking().capable());
        assertEquals("generic", f.name());
    }

    @Test
    void aFamilyRecordRefusesAnotherFamilysSyntax() {
        assertThrows(IllegalArgumentException.class, () -> new ChatFormat.Mistral(ToolCallStyle.HERMES, Thinking.UNTEMPLATED));
        assertThrows(IllegalArgumentException.class, () -> new ChatFormat.DeepSeek(ToolCallStyle.MISTRAL_ARGS, Thinking.UNTEMPLATED));
        assertEquals("mistral-call-id", new ChatFormat.Mistral(ToolCallStyle.MISTRAL_CALL_ID, Thinking.UNTEMPLATED).name());
    }

    /** The template's own prompt for one user message, thinking as asked (null: the template's default). */
    static String prompt(String file, Boolean thinking) throws IOException {
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", List.of(Map.of("role", "user", "content", "What is 2+2?")));
        vars.put("add_generation_prompt", true);
        vars.put("bos_token", "<s>");
        vars.put("eos_token", "</s>");
        if (thinking != null) {
            vars.put("enable_thinking", thinking);
        }
        return ChatTemplate.compile(file, template(file)).render(vars);
    }

    @ParameterizedTest(name = "{0} thinking={1}")
    @CsvSource(nullValues = "null", value = {
            "Qwen-Qwen3-0.6B.jinja, null, false",
            "Qwen-Qwen3-0.6B.jinja, true, false",
            "Qwen-Qwen3-0.6B.jinja, false, false",
            // llama.cpp's copies of these close the block unless enable_thinking is true
            "Qwen-QwQ-32B.jinja, null, false",
            "Qwen-QwQ-32B.jinja, true, true",
            "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja, null, false",
            "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja, true, true",
            "llama-cpp-deepseek-r1.jinja, null, true",
            "deepseek-ai-DeepSeek-V3.1.jinja, true, true",
            "deepseek-ai-DeepSeek-V3.1.jinja, false, false",
            "meta-llama-Llama-3.1-8B-Instruct.jinja, null, false",
    })
    void aReplyStartsInReasoningWhereTheTemplateOpensTheBlock(String file, Boolean thinking, boolean inReasoning) throws IOException {
        String rendered = prompt(file, thinking);
        Thinking.Start start = ChatFormat.detect(template(file)).thinking().start(rendered);
        assertEquals(inReasoning, start.inReasoning(), rendered);
        if (inReasoning) {
            assertEquals("</think>", start.open().close());
        }
    }

    @Test
    void theLastBlockThePromptLeftOpenDecides() {
        Thinking t = Thinking.UNTEMPLATED;
        assertEquals("[/THINK]", t.start("<think>a</think>[THINK]").open().close());
        assertTrue(t.start("[THINK]x[/THINK] <think>\n  ").inReasoning(), "trailing space does not count");
        assertFalse(t.start("<think>x</think>").inReasoning());
        assertFalse(t.start("").inReasoning());
    }

    @Test
    void forcedOutputTurnsThinkingOffUnlessTheClientChose() {
        assertEquals(Boolean.FALSE, Thinking.underForcedOutput(null, true));
        assertEquals(Boolean.TRUE, Thinking.underForcedOutput(true, true));
        assertEquals(null, Thinking.underForcedOutput(null, false));
        assertEquals(Boolean.FALSE, Thinking.underForcedOutput(false, false));
    }
}
