package dev.parley.runtime.jsonschema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases of llama.cpp's tests/test-json-schema-to-grammar.cpp
 * (scripts/jsonschema/extract-json-schema-cases.sh): the grammar text must be identical, and a case
 * llama.cpp expects to fail must fail here too.
 */
public class JsonSchemaCorpusTest {

    public record Case(String status, String name, String schema, String grammar) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    public static List<Case> cases() {
        try (InputStream in = JsonSchemaCorpusTest.class.getResourceAsStream("/json-schema/test-json-schema-to-grammar-cases.json")) {
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : JSON.readTree(in)) {
                cases.add(new Case(c.get("status").asText(), c.get("name").asText(), c.get("schema").asText(), c.get("grammar").asText()));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Case> successes() {
        return cases().stream().filter(c -> c.status().equals("SUCCESS"));
    }

    static Stream<Case> failures() {
        return cases().stream().filter(c -> c.status().equals("FAILURE"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("successes")
    void sameGrammarAsLlamaCpp(Case c) throws IOException {
        String actual = JsonSchemaGrammar.fromSchema(JSON.readTree(c.schema()));
        assertEquals(c.grammar(), actual.strip(), c.schema());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void refusedAsLlamaCppRefusesIt(Case c) throws IOException {
        JsonNode schema = JSON.readTree(c.schema());
        assertThrows(SchemaException.class, () -> JsonSchemaGrammar.fromSchema(schema));
    }
}
