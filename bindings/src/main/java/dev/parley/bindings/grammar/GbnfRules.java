package dev.parley.bindings.grammar;

import java.util.BitSet;
import java.util.List;

/**
 * A parsed grammar as llama.cpp holds it: per rule id, a flat list of elements (type, value), with
 * alternatives separated by {@link #ALT} and the rule closed by {@link #END}. The type numbers are
 * llama.cpp's {@code llama_gretype}, so what the checks look at is the very structure llama.cpp builds.
 *
 * @param rules per rule id, the elements as pairs: {@code rule[2i]} the type, {@code rule[2i+1]} the value
 * @param names per rule id, its name ({@code base_N} for the rules that groups and repetitions make)
 * @param generated the ids of rules made by groups and repetitions
 * @param root the id of the {@code root} rule
 */
public record GbnfRules(List<int[]> rules, List<String> names, BitSet generated, int root) {

    public static final int END = 0;
    public static final int ALT = 1;
    public static final int RULE_REF = 2;
    public static final int CHAR = 3;
    public static final int CHAR_NOT = 4;
    public static final int CHAR_RNG_UPPER = 5;
    public static final int CHAR_ALT = 6;
    public static final int CHAR_ANY = 7;
    public static final int TOKEN = 8;
    public static final int TOKEN_NOT = 9;

    public int size() {
        return rules.size();
    }

    /** The name to show for rule {@code id}: its own, or which rule's group or repetition it is. */
    public String describe(int id) {
        String name = names.get(id);
        if (generated.get(id)) {
            return "a group or repetition in rule '" + name.substring(0, name.lastIndexOf('_')) + "'";
        }
        return "rule '" + name + "'";
    }

    static boolean isTerminalStart(int type) {
        return type == CHAR || type == CHAR_NOT || type == CHAR_ANY || type == TOKEN || type == TOKEN_NOT;
    }

    static boolean isEndOfSequence(int type) {
        return type == END || type == ALT;
    }
}
