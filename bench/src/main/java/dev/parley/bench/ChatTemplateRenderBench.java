package dev.parley.bench;

import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.template.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Rendering Qwen3's chat template, compiled once, over a 20-message conversation with thinking. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ChatTemplateRenderBench {

    private ChatTemplate template;
    private Map<String, Object> variables;

    @Setup
    public void setUp() throws IOException {
        String source = Files.readString(NativeLibraries.llamaCacheDir().resolve("src/models/templates/Qwen-Qwen3-0.6B.jinja"));
        template = ChatTemplate.compile("Qwen-Qwen3-0.6B.jinja", source);
        List<Map<String, Object>> messages = new ArrayList<>();
        messages.add(Map.of("role", "system", "content", "You are a helpful assistant."));
        for (int i = 0; i < 19; i++) {
            messages.add(i % 2 == 0
                    ? Map.of("role", "user", "content", "Question number " + i + ": what about the next step in the plan?")
                    : Map.of("role", "assistant", "content", "<think>\nLet me think about step " + i + ".\n</think>\n\nHere is step " + i + " of the plan, explained."));
        }
        variables = Map.of("messages", messages, "add_generation_prompt", true, "enable_thinking", true);
    }

    @Benchmark
    public String render() {
        return template.render(variables);
    }
}
