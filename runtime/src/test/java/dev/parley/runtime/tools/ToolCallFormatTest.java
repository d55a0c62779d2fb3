package dev.parley.runtime.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.bindings.NativeLibraries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Detection on the real templates of the pinned llama.cpp (fetched into the cache by ./parley). */
class ToolCallFormatTest {

    static String template(String name) throws IOException {
        Path dir = NativeLibraries.llamaCacheDir().resolve("src/models/templates");
        return Files.readString(dir.resolve(name));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "Qwen-Qwen3-0.6B.jinja, HERMES",
            "Qwen-Qwen2.5-7B-Instruct.jinja, HERMES",
            "Qwen-QwQ-32B.jinja, HERMES",
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja, HERMES",
            "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja, HERMES",
            "meta-llama-Llama-3.1-8B-Instruct.jinja, LLAMA3",
            "meta-llama-Llama-3.2-3B-Instruct.jinja, LLAMA3",
            "meta-llama-Llama-3.3-70B-Instruct.jinja, LLAMA3",
            "mistralai-Mistral-Nemo-Instruct-2407.jinja, MISTRAL",
            "Mistral-Small-3.2-24B-Instruct-2506.jinja, MISTRAL",
            "unsloth-mistral-Devstral-Small-2507.jinja, MISTRAL",
            "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja, DEEPSEEK",
            "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja, DEEPSEEK",
            "deepseek-ai-DeepSeek-V3.1.jinja, DEEPSEEK",
            "llama-cpp-deepseek-r1.jinja, DEEPSEEK",
            "Qwen3-Coder.jinja, GENERIC",
            "GLM-4.6.jinja, GENERIC",
            "google-gemma-2-2b-it.jinja, GENERIC",
            "microsoft-Phi-3.5-mini-instruct.jinja, GENERIC",
            "meetkai-functionary-medium-v3.2.jinja, GENERIC",
    })
    void detectsTheFamily(String file, ToolCallFormat expected) throws IOException {
        assertEquals(expected, ToolCallFormat.detect(template(file)));
    }
}
