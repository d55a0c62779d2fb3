package dev.parley.runtime.jsonschema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the corpus does not cover: refusals, nullable, several schemas in one grammar. */
class JsonSchemaGrammarTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode schema(String json) throws IOException {
        return JSON.readTree(json);
    }

    /** The grammar as rule name -> rule text. */
    static Map<String, String> rules(String grammar) {
        Map<String, String> rules = new LinkedHashMap<>();
        for (String line : grammar.split("\n")) {
            int sep = line.indexOf(" ::= ");
            rules.put(line.substring(0, sep), line.substring(sep + 5));
        }
        return rules;
    }

    @ParameterizedTest
    @ValueSource(strings = {"not", "if", "patternProperties", "uniqueItems", "contains", "multipleOf", "minProperties",
            "propertyNames", "unevaluatedProperties", "dependentRequired"})
    void constraintsTheGrammarCannotEnforceAreRefusedByName(String keyword) throws IOException {
        JsonNode s = schema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\", \"" + keyword + "\": {}}}}");
        SchemaException e = assertThrows(SchemaException.class, () -> JsonSchemaGrammar.fromSchema(s));
        assertEquals(keyword, e.keyword());
        assertEquals("#/properties/a", e.path());
        assertTrue(e.getMessage().contains(keyword));
    }

    @Test
    void annotationsAndNumberBoundsAreAccepted() throws IOException {
        String g = JsonSchemaGrammar.fromSchema(schema("""
                {"title": "T", "description": "d", "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                 "properties": {"x": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.5, "examples": [0.1]}},
                 "required": ["x"], "additionalProperties": false}"""));
        assertEquals("number", rules(g).get("x-kv").split(" ")[4]);
    }

    @Test
    void nullableIsThisOrNull() throws IOException {
        Map<String, String> nullable = rules(JsonSchemaGrammar.fromSchema(schema("{\"type\": \"string\", \"nullable\": true}")));
        Map<String, String> typeArray = rules(JsonSchemaGrammar.fromSchema(schema("{\"type\": [\"string\", \"null\"]}")));
        assertEquals(typeArray, nullable);
        assertEquals("string | null", nullable.get("root"));
    }

    @Test
    void recursiveRefsBecomeRecursiveRules() throws IOException {
        Map<String, String> r = rules(JsonSchemaGrammar.fromSchema(schema("""
                {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object",
                 "properties": {"next": {"$ref": "#/$defs/node"}}, "additionalProperties": false}}}""")));
        assertEquals("ref-defs-node", r.get("root"));
        assertEquals("ref-defs-node", r.get("ref-defs-node-next"), "the property refers back to the node rule");
    }

    @Test
    void badRefsAreRefused() throws IOException {
        assertEquals("$ref", assertThrows(SchemaException.class,
                () -> JsonSchemaGrammar.fromSchema(schema("{\"$ref\": \"https://example.com/s.json\"}"))).keyword());
        assertEquals("$ref", assertThrows(SchemaException.class,
                () -> JsonSchemaGrammar.fromSchema(schema("{\"$ref\": \"#/$defs/missing\"}"))).keyword());
    }

    @Test
    void malformedValuesAreRefused() throws IOException {
        assertEquals("minItems", assertThrows(SchemaException.class,
                () -> JsonSchemaGrammar.fromSchema(schema("{\"type\": \"array\", \"minItems\": -1}"))).keyword());
        assertEquals("minimum", assertThrows(SchemaException.class,
                () -> JsonSchemaGrammar.fromSchema(schema("{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 2}"))).keyword());
        assertEquals("enum", assertThrows(SchemaException.class,
                () -> JsonSchemaGrammar.fromSchema(schema("{\"enum\": []}"))).keyword());
        assertEquals(null, assertThrows(SchemaException.class, () -> JsonSchemaGrammar.fromSchema(schema("[1]"))).keyword());
    }

    @Test
    void anUnsupportedPatternAcceptsAnyStringAndSaysSo() throws IOException {
        GrammarBuilder b = new GrammarBuilder();
        b.addSchema("root", schema("{\"type\": \"string\", \"pattern\": \"^\\\\d+$\"}"));
        assertEquals("string", rules(b.format()).get("root"));
        assertEquals(1, b.warnings().size());
    }

    @Test
    void twoSchemasWithTheSameRefNamesKeepTheirOwnTargets() throws IOException {
        GrammarBuilder b = new GrammarBuilder();
        String a = b.addSchema("a", schema("{\"$ref\": \"#/$defs/x\", \"$defs\": {\"x\": {\"type\": \"integer\"}}}"));
        String c = b.addSchema("c", schema("{\"$ref\": \"#/$defs/x\", \"$defs\": {\"x\": {\"type\": \"boolean\"}}}"));
        Map<String, String> r = rules(b.format());
        assertNotEquals(r.get(r.get(a)), r.get(r.get(c)), r.toString());
    }

    @Test
    void literalsEscapeWhatGbnfNeeds() {
        assertEquals("\"a\\\"b\\\\c\\nd\\re\"", GrammarBuilder.literal("a\"b\\c\nd\re"));
    }

    @Test
    void jsonObjectIsTheObjectPrimitive() {
        Map<String, String> r = rules(JsonSchemaGrammar.anyObject());
        assertEquals("object", r.get("root"));
        assertTrue(r.containsKey("value") && r.containsKey("string") && r.containsKey("number"));
    }
}
