package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.jsonschema.JsonSchemaGrammar;
import dev.parley.runtime.jsonschema.SchemaException;
import dev.parley.server.api.ApiError;

/**
 * Structured outputs: OpenAI's {@code response_format} (chat) and {@code text.format} (responses) as a
 * grammar. {@code json_schema} (strict or not: a grammar enforces the schema either way) and
 * {@code json_object} constrain the output; a schema keyword the grammar cannot enforce is a 400 naming it.
 */
final class ResponseFormats {

    private ResponseFormats() {
    }

    /**
     * @param format the {@code {"type": ...}} object, or null
     * @param field where it came from, for errors ({@code response_format}, {@code text.format})
     * @param schemaAt where the schema sits inside it ({@code json_schema.schema} for chat, {@code schema} for responses)
     * @return the grammar, or null for plain text
     */
    static String grammar(JsonNode format, String field, String schemaAt) {
        if (format == null || format.isNull()) {
            return null;
        }
        if (!format.isObject()) {
            throw ApiError.badRequest(field, "field '" + field + "' must be an object with a 'type'");
        }
        return switch (format.path("type").asText("")) {
            case "text" -> null;
            case "json_object" -> JsonSchemaGrammar.anyObject();
            case "json_schema" -> {
                JsonNode schema = format;
                for (String step : schemaAt.split("\\.")) {
                    schema = schema.path(step);
                }
                if (!schema.isObject()) {
                    throw ApiError.badRequest(field + "." + schemaAt, field + "." + schemaAt + " must be a JSON Schema object");
                }
                try {
                    yield JsonSchemaGrammar.fromSchema(schema);
                } catch (SchemaException e) {
                    String keyword = e.keyword() == null ? "" : " (keyword '" + e.keyword() + "' is not supported)";
                    throw ApiError.badRequest(field + "." + schemaAt, "the schema cannot be enforced" + keyword + ": " + e.getMessage());
                }
            }
            default -> throw ApiError.badRequest(field + ".type", field + ".type must be text, json_object or json_schema");
        };
    }
}
