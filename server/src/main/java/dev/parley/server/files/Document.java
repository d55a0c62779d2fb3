package dev.parley.server.files;

import dev.parley.server.threads.FileStore;

/** An uploaded file's text as it goes into a prompt: which file, its name, its text and that text's token count. */
public record Document(String fileId, String name, String text, int tokens) {

    /** A stored file's text as a document. */
    public static Document of(FileStore.FileText f) {
        return new Document(f.file().id(), f.file().name(), f.text(), f.file().tokens());
    }

    /** The same document with its text cut (the context could not hold all of it). */
    public Document cut(String shorter) {
        return new Document(fileId, name, shorter, tokens);
    }
}
