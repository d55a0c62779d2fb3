package dev.parley.server.models;

import java.util.List;

/** A request named a model the server does not have; each dialect answers 404 in its own shape, listing {@link #known}. */
public final class UnknownModelException extends RuntimeException {

    private final String name;
    private final List<String> known;

    public UnknownModelException(String name, List<String> known) {
        super("model '" + name + "' not found; the models here are: " + String.join(", ", known));
        this.name = name;
        this.known = List.copyOf(known);
    }

    public String name() {
        return name;
    }

    public List<String> known() {
        return known;
    }
}
