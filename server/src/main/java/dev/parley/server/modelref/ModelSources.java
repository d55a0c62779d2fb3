package dev.parley.server.modelref;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where models come from, read from the same environment variables the Hugging Face tools and Ollama read, so
 * a cache those tools filled is found: LLAMA_CACHE / HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME, HF_ENDPOINT, HF_TOKEN (or the
 * token file {@code hf auth login} writes), HF_HUB_OFFLINE, HF_HUB_DOWNLOAD_TIMEOUT (seconds without a byte before a
 * transfer is dropped and resumed), OLLAMA_MODELS.
 */
public record ModelSources(Path hubCache, URI endpoint, String token, boolean offline, Path ollamaModels, boolean terminal,
                           java.time.Duration stallTimeout) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public static ModelSources from(Map<String, String> env) {
        Path home = Path.of(System.getProperty("user.home"));
        Path hfHome = set(env, "HF_HOME") ? Path.of(env.get("HF_HOME"))
                : set(env, "XDG_CACHE_HOME") ? Path.of(env.get("XDG_CACHE_HOME"), "huggingface") : home.resolve(".cache").resolve("huggingface");
        // llama.cpp's order (LLAMA_CACHE first), which is huggingface_hub's with llama.cpp's own variable in front
        Path hubCache = set(env, "LLAMA_CACHE") ? Path.of(env.get("LLAMA_CACHE"))
                : set(env, "HF_HUB_CACHE") ? Path.of(env.get("HF_HUB_CACHE"))
                : set(env, "HUGGINGFACE_HUB_CACHE") ? Path.of(env.get("HUGGINGFACE_HUB_CACHE")) : hfHome.resolve("hub");
        String endpoint = set(env, "HF_ENDPOINT") ? env.get("HF_ENDPOINT").strip() : DEFAULT_ENDPOINT;
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new ModelReferenceException("HF_ENDPOINT: '" + endpoint + "' is not a URL");
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw new ModelReferenceException("HF_ENDPOINT: expected an http(s) URL like " + DEFAULT_ENDPOINT + ", got '" + endpoint + "'");
        }
        String token = set(env, "HF_TOKEN") ? env.get("HF_TOKEN").strip()
                : set(env, "HUGGING_FACE_HUB_TOKEN") ? env.get("HUGGING_FACE_HUB_TOKEN").strip() : tokenFile(hfHome.resolve("token"));
        boolean offline = set(env, "HF_HUB_OFFLINE") && Map.of("1", 1, "true", 1, "yes", 1, "on", 1)
                .containsKey(env.get("HF_HUB_OFFLINE").strip().toLowerCase(Locale.ROOT));
        Path ollama = set(env, "OLLAMA_MODELS") ? Path.of(env.get("OLLAMA_MODELS")) : home.resolve(".ollama").resolve("models");
        long stall = 30;
        if (set(env, "HF_HUB_DOWNLOAD_TIMEOUT")) {
            try {
                stall = Long.parseLong(env.get("HF_HUB_DOWNLOAD_TIMEOUT").strip());
            } catch (NumberFormatException e) {
                stall = -1;
            }
            if (stall < 1 || stall > 86_400) {
                throw new ModelReferenceException("HF_HUB_DOWNLOAD_TIMEOUT: expected whole seconds from 1 to 86400, got '" + env.get("HF_HUB_DOWNLOAD_TIMEOUT") + "'");
            }
        }
        return new ModelSources(hubCache, uri, token, offline, ollama, System.console() != null && System.console().isTerminal(),
                java.time.Duration.ofSeconds(stall));
    }

    private static boolean set(Map<String, String> env, String name) {
        return env.get(name) != null && !env.get(name).isBlank();
    }

    private static String tokenFile(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
