package dev.parley.server.files;

/** An uploaded file's text as it goes into a prompt: which file, its name, its text and that text's token count. */
public record Document(String fileId, String name, String text, int tokens) {

    /** The same document with its text cut (the context could not hold all of it). */
    public Document cut(String shorter) {
        return new Document(fileId, name, shorter, tokens);
    }
}
