package dev.parley.server.modelref;

import java.nio.file.Path;

/**
 * What a user names a model by: a GGUF on disk, a Hugging Face repo (with a quant or a file), or a model in
 * the local Ollama store. Parsing checks the shape only; {@link ModelResolver} turns a reference into a file.
 */
public sealed interface ModelReference {

    /** The reference as the user would write it (for logs and errors). */
    String display();

    /** A GGUF file on disk (the first part of a split model is enough: the others are found beside it). */
    record LocalFile(Path path) implements ModelReference {
        @Override
        public String display() {
            return path.toString();
        }
    }

    /** A Hugging Face repo; {@code quant} null picks llama-server's default (Q4_K_M, then Q8_0, then the first GGUF). */
    record HubQuant(String repo, String quant, String revision) implements ModelReference {
        @Override
        public String display() {
            return "hf:" + repo + (quant == null ? "" : ":" + quant) + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
        }
    }

    /** One named file of a Hugging Face repo ({@code hf:ORG/REPO/path/in/repo.gguf}). */
    record HubFile(String repo, String file, String revision) implements ModelReference {
        @Override
        public String display() {
            return "hf:" + repo + "/" + file + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
        }
    }

    /** A model pulled by Ollama, read in place from its store. */
    record OllamaModel(String host, String namespace, String name, String tag) implements ModelReference {
        @Override
        public String display() {
            return "ollama:" + (host.equals("registry.ollama.ai") ? "" : host + "/") + (namespace.equals("library") ? "" : namespace + "/")
                    + name + ":" + tag;
        }
    }

    String DEFAULT_REVISION = "main";

    /** Parses {@code text}; a malformed reference is a {@link ModelReferenceException} saying which forms exist. */
    static ModelReference parse(String text) {
        return ReferenceParser.parse(text);
    }

    String FORMS = "a model is PATH.gguf, hf:ORG/REPO[:QUANT], hf:ORG/REPO/FILE.gguf, ORG/REPO:QUANT, hf.co/ORG/REPO[:QUANT] or ollama:NAME[:TAG]";
}
