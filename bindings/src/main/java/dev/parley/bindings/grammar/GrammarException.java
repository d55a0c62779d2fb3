package dev.parley.bindings.grammar;

/** A grammar Parley refuses, with a message that names the problem (and where it is, for syntax errors). */
public final class GrammarException extends IllegalArgumentException {

    public GrammarException(String message) {
        super(message);
    }
}
