package dev.parley.runtime.tools;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.SamplerChain;
import dev.parley.runtime.jsonschema.JsonSchemaCorpusTest;
import dev.parley.runtime.jsonschema.JsonSchemaGrammar;
import dev.parley.runtime.jsonschema.SchemaException;
import dev.parley.runtime.testmodel.TestModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every grammar Parley generates is one llama.cpp accepts: initialised through the bindings' grammar
 * sampler on the tiny model's vocabulary (llama.cpp refuses a bad grammar there, where a sampler would
 * otherwise abort the process later).
 */
class ToolCallGrammarTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(TestModels.tinyQwen3(), new ModelOptions(0, true, true, false));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static void assertLlamaAccepts(String grammar) {
        int without;
        try (SamplerChain plain = SamplerChain.builder(model.vocab()).build()) {
            without = plain.length();
        }
        assertDoesNotThrow(() -> {
            try (SamplerChain chain = SamplerChain.builder(model.vocab()).grammar(grammar).build()) {
                assertEquals(without + 1, chain.length(), "the chain holds the grammar sampler");
            }
        }, grammar);
    }

    @Test
    void aBrokenGrammarIsRefusedByTheSameCheck() {
        assertThrows(IllegalArgumentException.class, () -> SamplerChain.builder(model.vocab()).grammar("root ::= ( unclosed").build());
    }

    static List<FunctionTool> tools() throws IOException {
        return List.of(
                new FunctionTool("get_weather", JSON.readTree("""
                        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
                         "days": {"type": "integer", "minimum": 1, "maximum": 7}, "unit": {"enum": ["c", "f"]}},
                         "required": ["city", "days"], "additionalProperties": false}""")),
                new FunctionTool("get_time", null),
                new FunctionTool("root", JSON.readTree("""
                        {"type": "object", "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 3}},
                         "$defs": {"tag": {"type": "string", "format": "date"}}}""")));
    }

    static Stream<Arguments> styles() {
        List<Arguments> all = new ArrayList<>();
        for (ToolCallStyle style : ToolCallStyle.values()) {
            for (String only : new String[] {null, "get_weather", "root"}) {
                for (boolean parallel : new boolean[] {false, true}) {
                    all.add(Arguments.of(style, only, parallel));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} only={1} parallel={2}")
    @MethodSource("styles")
    void toolGrammarsAreValidGbnf(ToolCallStyle style, String only, boolean parallel) throws IOException {
        assertLlamaAccepts(ToolCallGrammar.forced(style, tools(), only, parallel));
    }

    @Test
    void corpusGrammarsAndJsonObjectAreValidGbnf() throws IOException {
        int n = 0;
        for (var c : JsonSchemaCorpusTest.cases()) {
            if (c.status().equals("SUCCESS")) {
                assertLlamaAccepts(JsonSchemaGrammar.fromSchema(JSON.readTree(c.schema())));
                n++;
            }
        }
        assertEquals(78, n, "every SUCCESS case of the corpus");
        assertLlamaAccepts(JsonSchemaGrammar.anyObject());
    }

    @Test
    void unknownFunctionOrNoToolsIsRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> ToolCallGrammar.forced(ToolCallStyle.HERMES, tools(), "nope", false));
        assertThrows(IllegalArgumentException.class, () -> ToolCallGrammar.forced(ToolCallStyle.HERMES, List.of(), null, false));
        JsonNode refused = JSON.readTree("{\"type\": \"object\", \"properties\": {\"a\": {\"not\": {\"type\": \"string\"}}}}");
        SchemaException e = assertThrows(SchemaException.class,
                () -> ToolCallGrammar.forced(ToolCallStyle.HERMES, List.of(new FunctionTool("f", refused)), null, false));
        assertEquals("not", e.keyword());
    }
}
