package dev.parley.server.modelref;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The syntax of {@link ModelReference}s: which prefix means which source, and what each part may hold. */
final class ReferenceParser {

    private ReferenceParser() {
    }

    // Hub ids: letters, digits, '_', and '.', '-' between them (the Hub's own rule, as llama.cpp checks it).
    private static final String NAME = "[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?";
    private static final Pattern REPO = Pattern.compile("(" + NAME + "/" + NAME + ")");
    private static final Pattern QUANT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9_./-]{1,128}");
    private static final Pattern OLLAMA_PART = Pattern.compile(NAME);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+");
    /** llama-server's -hf form without a prefix: ORG/REPO:QUANT (the quant keeps it apart from a relative path). */
    private static final Pattern PLAIN_HUB = Pattern.compile(NAME + "/" + NAME + ":[A-Za-z0-9_.-]+(?:@[A-Za-z0-9_./-]+)?");

    static ModelReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ModelReferenceException("empty model reference; " + ModelReference.FORMS);
        }
        String s = text.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("hf:")) {
            return hub(s, s.substring(3));
        }
        for (String host : new String[] {"hf.co/", "huggingface.co/", "https://huggingface.co/", "https://hf.co/"}) {
            if (lower.startsWith(host)) {
                return hub(s, s.substring(host.length()));
            }
        }
        if (lower.startsWith("ollama:")) {
            return ollama(s, s.substring("ollama:".length()));
        }
        Path path = path(s);
        if (!Files.exists(path) && PLAIN_HUB.matcher(s).matches()) {
            return hub(s, s);
        }
        return new ModelReference.LocalFile(path);
    }

    private static Path path(String s) {
        try {
            return Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
        } catch (InvalidPathException e) {
            throw new ModelReferenceException("'" + s + "' is not a file path; " + ModelReference.FORMS);
        }
    }

    /** {@code ORG/REPO[:QUANT][@REV]} or {@code ORG/REPO/FILE.gguf[@REV]}. */
    private static ModelReference hub(String original, String rest) {
        String revision = ModelReference.DEFAULT_REVISION;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            revision = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!REVISION.matcher(revision).matches() || revision.contains("..")) {
                throw new ModelReferenceException("'" + original + "': bad revision '" + revision + "' (a branch, tag or commit)");
            }
        }
        String[] segments = rest.split("/", -1);
        if (segments.length < 2) {
            throw new ModelReferenceException("'" + original + "': expected a Hugging Face repo as ORG/REPO; " + ModelReference.FORMS);
        }
        if (segments.length == 2) {
            String repoAndQuant = rest;
            String quant = null;
            int colon = repoAndQuant.indexOf(':');
            if (colon >= 0) {
                quant = repoAndQuant.substring(colon + 1);
                repoAndQuant = repoAndQuant.substring(0, colon);
                if (!QUANT.matcher(quant).matches()) {
                    throw new ModelReferenceException("'" + original + "': bad quant '" + quant + "' (like Q4_K_M, Q8_0, F16)");
                }
            }
            Matcher m = REPO.matcher(repoAndQuant);
            if (!m.matches()) {
                throw new ModelReferenceException("'" + original + "': '" + repoAndQuant + "' is not a Hugging Face repo id (ORG/REPO of letters, digits, '_', '-', '.')");
            }
            return new ModelReference.HubQuant(m.group(1), quant, revision);
        }
        String repo = segments[0] + "/" + segments[1];
        if (!REPO.matcher(repo).matches()) {
            throw new ModelReferenceException("'" + original + "': '" + repo + "' is not a Hugging Face repo id (ORG/REPO)");
        }
        String file = rest.substring(repo.length() + 1);
        for (String part : file.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.contains(":") || part.contains("\\")) {
                throw new ModelReferenceException("'" + original + "': bad file path '" + file + "' in the repo");
            }
        }
        if (!file.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new ModelReferenceException("'" + original + "': a file in a repo must be a .gguf (got '" + file + "'); for a quant write hf:" + repo + ":QUANT");
        }
        return new ModelReference.HubFile(repo, file, revision);
    }

    /** {@code NAME[:TAG]}, {@code NAMESPACE/NAME[:TAG]}, or {@code HOST/NAMESPACE/NAME[:TAG]} as Ollama names pulls from hf.co. */
    private static ModelReference ollama(String original, String rest) {
        String[] parts = rest.split("/", -1);
        String last = parts[parts.length - 1];
        int colon = last.indexOf(':');
        String name = colon < 0 ? last : last.substring(0, colon);
        String tag = colon < 0 ? "latest" : last.substring(colon + 1);
        String host = parts.length == 3 ? parts[0] : "registry.ollama.ai";
        String namespace = parts.length >= 2 ? parts[parts.length - 2] : "library";
        boolean ok = parts.length <= 3 && OLLAMA_PART.matcher(name).matches() && OLLAMA_PART.matcher(tag).matches()
                && OLLAMA_PART.matcher(namespace).matches() && HOST.matcher(host).matches();
        if (!ok) {
            throw new ModelReferenceException("'" + original + "': expected ollama:NAME[:TAG], ollama:USER/NAME[:TAG] or ollama:hf.co/ORG/REPO[:TAG]"
                    + " (like ollama:qwen3:0.6b)");
        }
        return new ModelReference.OllamaModel(host, namespace, name, tag);
    }

}
