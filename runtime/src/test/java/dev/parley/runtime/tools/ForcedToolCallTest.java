package dev.parley.runtime.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.engine.Sampling;
import dev.parley.runtime.testmodel.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny random Qwen3 model, forced by {@link ToolCallGrammar}, writes calls that the parser reads and
 * whose arguments satisfy the function's schema: the whole path tool_choice "required" takes, minus HTTP.
 */
class ForcedToolCallTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Engine engine;
    static List<FunctionTool> tools;
    static ToolCallStyle style;

    @BeforeAll
    static void start() throws Exception {
        engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2));
        style = ToolCallStyle.detect(engine.chatTemplateSource());
        tools = ToolCallGrammarTest.tools();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    record Reply(ToolCallParser.Result result, List<ToolCallEvent> events, GenerationEvent.Done done) {}

    /** Renders a prompt with the tools (thinking off), generates under the forced grammar, streams the content through the parser. */
    static Reply generate(String only, boolean parallel, long seed) throws Exception {
        List<Map<String, Object>> toolJson = new ArrayList<>();
        for (FunctionTool t : tools) {
            toolJson.add(Map.of("type", "function", "function", t.parameters() == null
                    ? Map.of("name", t.name(), "description", "a tool")
                    : Map.of("name", t.name(), "description", "a tool", "parameters", JSON.convertValue(t.parameters(), Map.class))));
        }
        Prompt.Chat chat = new Prompt.Chat(List.of(Map.of("role", "user", "content", "What is the weather in Paris?")), true, false, toolJson, Map.of());
        String grammar = ToolCallGrammar.forced(style, tools, only, parallel);
        Sampling sampling = new Sampling(1.0f, 0, 1.0f, 0.0f, 1.0f, 0, 0, 64, seed);
        var stream = engine.submit(new GenerationRequest("forced-" + seed, chat, parallel ? 400 : 200, sampling, List.of(), grammar));
        Set<String> names = tools.stream().map(FunctionTool::name).collect(Collectors.toSet());
        ToolCallParser parser = new ToolCallParser(style.format(), names);
        List<ToolCallEvent> events = new ArrayList<>();
        List<GenerationEvent> all = stream.drain(120_000);
        for (GenerationEvent e : all) {
            if (e instanceof GenerationEvent.Piece p && p.channel() == GenerationEvent.Channel.CONTENT) {
                parser.feed(p.text(), events::add);
            }
        }
        parser.finish(events::add);
        GenerationEvent.Done done = assertInstanceOf(GenerationEvent.Done.class, all.getLast());
        return new Reply(new ToolCallParser.Result(parser.content(), parser.calls()), events, done);
    }

    static void assertValid(ToolCall call) throws Exception {
        FunctionTool tool = tools.stream().filter(t -> t.name().equals(call.name())).findFirst().orElseThrow();
        JsonNode args = JSON.readTree(call.argumentsJson());
        if (tool.parameters() == null) {
            assertTrue(args.isObject() && args.isEmpty(), call.argumentsJson());
            return;
        }
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(tool.parameters());
        Set<ValidationMessage> errors = schema.validate(args);
        assertTrue(errors.isEmpty(), call.argumentsJson() + " -> " + errors);
    }

    @Test
    void theTemplateIsHermes() {
        assertEquals(ToolCallStyle.HERMES, style);
    }

    @Test
    void requiredGivesOneValidCall() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            Reply r = generate(null, false, seed);
            assertEquals(GenerationEvent.FinishReason.STOP, r.done().reason(), "the grammar ends, then the model's end token");
            assertEquals(1, r.result().calls().size(), r.result().toString());
            assertTrue(r.result().content().isBlank(), "no markup in content: " + r.result().content());
            assertValid(r.result().calls().getFirst());
            assertInstanceOf(ToolCallEvent.CallStarted.class, r.events().stream().filter(e -> !(e instanceof ToolCallEvent.Content)).findFirst().orElseThrow());
        }
    }

    @Test
    void aNamedFunctionIsTheOneCalled() throws Exception {
        for (long seed = 1; seed <= 2; seed++) {
            Reply r = generate("get_weather", false, seed);
            assertEquals(1, r.result().calls().size());
            ToolCall call = r.result().calls().getFirst();
            assertEquals("get_weather", call.name());
            assertValid(call);
            assertFalse(JSON.readTree(call.argumentsJson()).path("city").isMissingNode(), "required property present");
        }
    }

    @Test
    void parallelCallsAreAllValid() throws Exception {
        Reply r = generate(null, true, 7);
        assertFalse(r.result().calls().isEmpty());
        for (ToolCall call : r.result().calls()) {
            assertValid(call);
        }
    }
}
