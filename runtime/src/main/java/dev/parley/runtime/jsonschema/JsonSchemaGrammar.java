package dev.parley.runtime.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * JSON Schema to GBNF, for structured outputs ({@code response_format: json_schema}, Ollama's
 * {@code format}) and tool arguments. The grammar matches a JSON value valid under the schema, with
 * optional whitespace between tokens.
 *
 * <p>What is enforced: {@code type} (one or several), {@code properties} / {@code required} /
 * {@code additionalProperties} (properties in schema order), {@code enum}, {@code const}, {@code items},
 * {@code prefixItems}, {@code minItems} / {@code maxItems}, string {@code minLength} / {@code maxLength} /
 * {@code pattern} (anchored, without shorthand classes) / {@code format} (date, time, date-time, uuid),
 * integer {@code minimum} / {@code maximum} / exclusive bounds, local {@code $ref} ({@code $defs},
 * {@code definitions}, recursion included), {@code anyOf} / {@code oneOf} / {@code allOf}, OpenAPI's
 * {@code nullable}. Accepted but not enforced, as in llama.cpp: bounds on non-integer numbers, a pattern
 * the grammar cannot express (see {@link GrammarBuilder#warnings()}). Refused with a {@link SchemaException}
 * naming the keyword: {@code not}, {@code if}/{@code then}/{@code else}, {@code patternProperties},
 * {@code uniqueItems}, {@code contains}, {@code multipleOf}, {@code minProperties}/{@code maxProperties} and
 * the other constraints listed in {@code SchemaReader.REFUSED}.
 */
public final class JsonSchemaGrammar {

    private JsonSchemaGrammar() {}

    /**
     * The grammar of the JSON values valid under {@code schema}, its start rule {@code root}.
     *
     * @throws SchemaException when the schema is malformed or uses a keyword the grammar cannot enforce
     */
    public static String fromSchema(JsonNode schema) {
        GrammarBuilder builder = new GrammarBuilder();
        builder.addSchema("root", schema);
        return builder.format();
    }

    /** The grammar of any JSON object ({@code response_format: json_object}). */
    public static String anyObject() {
        return fromSchema(JsonNodeFactory.instance.objectNode().put("type", "object"));
    }
}
