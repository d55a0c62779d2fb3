package dev.parley.runtime.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema read into the few shapes a grammar can express (the model llama.cpp's
 * common/json-schema.h uses). {@link SchemaReader} builds it; {@link GrammarBuilder} turns it into rules.
 */
sealed interface SchemaNode {

    /** Any JSON value: no type and no structural keyword. */
    record Any() implements SchemaNode {}

    /** A local {@code $ref}; the target is looked up in {@code targets} (filled once every ref is read). */
    record Ref(String ref, Map<String, SchemaNode> targets) implements SchemaNode {
        SchemaNode target() {
            return targets.get(ref);
        }

        // the targets may lead back here (a recursive schema): compare and print by name only
        @Override
        public boolean equals(Object o) {
            return o instanceof Ref other && other.ref.equals(ref) && other.targets == targets;
        }

        @Override
        public int hashCode() {
            return ref.hashCode();
        }

        @Override
        public String toString() {
            return "Ref[" + ref + "]";
        }
    }

    /** {@code anyOf}, {@code oneOf} (treated alike: a grammar cannot say "exactly one"), or a type array. */
    record AnyOf(List<SchemaNode> children) implements SchemaNode {}

    record AllOf(List<SchemaNode> children) implements SchemaNode {}

    record Const(JsonNode value) implements SchemaNode {}

    record Enum(List<JsonNode> values) implements SchemaNode {}

    record Property(String name, SchemaNode schema, boolean required) {}

    /** An object; {@code additional} is null when no other properties are allowed. */
    record Obj(List<Property> properties, SchemaNode additional) implements SchemaNode {}

    /** {@code prefixItems} (or {@code items} as an array): exactly these items, in order. */
    record Tuple(List<SchemaNode> items) implements SchemaNode {}

    /** {@code maxItems} is -1 when unbounded. */
    record Arr(SchemaNode items, int minItems, int maxItems) implements SchemaNode {}

    enum Format { NONE, DATE, TIME, DATE_TIME, UUID }

    /** {@code pattern} is null when absent, {@code maxLength} -1 when unbounded. */
    record Str(String pattern, Format format, int minLength, int maxLength) implements SchemaNode {}

    /** Bounds are {@link Long#MIN_VALUE} / {@link Long#MAX_VALUE} when absent. */
    record Int(long minimum, long maximum) implements SchemaNode {}

    record Num() implements SchemaNode {}

    record Bool() implements SchemaNode {}

    record Null() implements SchemaNode {}
}
