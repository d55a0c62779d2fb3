package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A load generator for Parley and llama-server alike: it speaks Parley's NDJSON endpoint and the
 * OpenAI-compatible streaming chat API, measures per request time to first token, inter-token gaps,
 * tokens and total time, and per run aggregate tokens/s, requests/s and percentiles.
 *
 * <pre>
 * LoadGen --url http://127.0.0.1:8080 --api openai|parley --workload multiturn|independent|longhistory
 *         [--users 8 --turns 6 --turn-tokens 40] [--concurrency 8 --requests 2 --prompt-tokens 128]
 *         [--history 256,1024,4096] [--max-tokens 64] [--label NAME]
 * LoadGen ... --workload conversations --users 16 --turns 8 --turn-words 60 --max-tokens 24
 *         [--from-turn 1 --to-turn 8 --state FILE]
 * </pre>
 * Prints one JSON object per run on stdout (for scripts/bench-compare.sh to tabulate).
 */
public final class LoadGen {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    /** One request's measurements. */
    record Result(long ttftNanos, List<Long> gapsNanos, int tokens, long totalNanos, String text, String error, int promptEvaluated) {

        Result(long ttftNanos, List<Long> gapsNanos, int tokens, long totalNanos, String text, String error) {
            this(ttftNanos, gapsNanos, tokens, totalNanos, text, error, -1);
        }
    }

    private final String url;
    private final boolean openAi;
    private final int maxTokens;

    LoadGen(String url, boolean openAi, int maxTokens) {
        this.url = url;
        this.openAi = openAi;
        this.maxTokens = maxTokens;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        LoadGen gen = new LoadGen(a.getOrDefault("url", "http://127.0.0.1:8080"), !"parley".equals(a.get("api")),
                Integer.parseInt(a.getOrDefault("max-tokens", "64")));
        String label = a.getOrDefault("label", "");
        switch (a.getOrDefault("workload", "independent")) {
            case "multiturn" -> gen.multiTurn(label, Integer.parseInt(a.getOrDefault("users", "8")), Integer.parseInt(a.getOrDefault("turns", "6")),
                    Integer.parseInt(a.getOrDefault("turn-tokens", "40")));
            case "independent" -> {
                for (String c : a.getOrDefault("concurrency", "1,4,8,16").split(",")) {
                    gen.independent(label, Integer.parseInt(c), Integer.parseInt(a.getOrDefault("requests", "2")),
                            Integer.parseInt(a.getOrDefault("prompt-tokens", "128")));
                }
            }
            case "longhistory" -> {
                for (String h : a.getOrDefault("history", "256,1024,4096").split(",")) {
                    gen.longHistory(label, Integer.parseInt(h));
                }
            }
            case "conversations" -> {
                int turns = Integer.parseInt(a.getOrDefault("turns", "8"));
                gen.conversations(label, Integer.parseInt(a.getOrDefault("users", "16")), turns,
                        Integer.parseInt(a.getOrDefault("turn-words", "60")), Integer.parseInt(a.getOrDefault("from-turn", "1")),
                        Integer.parseInt(a.getOrDefault("to-turn", String.valueOf(turns))), a.get("state"));
            }
            default -> throw new IllegalArgumentException("unknown workload " + a.get("workload"));
        }
    }

    // ---- workloads ----

    /** U users, each T turns; every turn sends the whole history so far plus a new message. */
    void multiTurn(String label, int users, int turns, int turnTokens) throws Exception {
        long t0 = System.nanoTime();
        List<Result> all = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                int user = u;
                fs.add(pool.submit(() -> {
                    List<Map<String, String>> history = new ArrayList<>();
                    history.add(Map.of("role", "system", "content", "You are a helpful assistant."));
                    for (int t = 0; t < turns; t++) {
                        history.add(Map.of("role", "user", "content", words(turnTokens, user * 1000 + t)));
                        Result r = chat(history);
                        all.add(r);
                        history.add(Map.of("role", "assistant", "content", r.text()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        report(label, "multiturn", "users=" + users + " turns=" + turns + " L=" + turnTokens, all, System.nanoTime() - t0);
    }

    /**
     * Many conversations on few slots: U users at once, each sending turns {@code from..to} of T (the
     * whole history plus about W new words each). With {@code state}, histories are read from it
     * before and written to it after, so that a run can stop after turn 4 and another (after a server
     * restart) go on with turn 5. Reports time to first token overall and per turn, and the prompt
     * tokens the server actually evaluated per request (usage minus cached, or llama-server's timings).
     */
    void conversations(String label, int users, int turns, int words, int from, int to, String state) throws Exception {
        List<List<Map<String, String>>> histories = new ArrayList<>();
        java.nio.file.Path stateFile = state == null ? null : java.nio.file.Path.of(state);
        if (from > 1) {
            JsonNode saved = JSON.readTree(stateFile.toFile());
            for (JsonNode h : saved) {
                List<Map<String, String>> history = new ArrayList<>();
                h.forEach(m -> history.add(Map.of("role", m.path("role").asText(), "content", m.path("content").asText())));
                histories.add(history);
            }
        } else {
            for (int u = 0; u < users; u++) {
                List<Map<String, String>> history = new ArrayList<>();
                history.add(Map.of("role", "system", "content", "You are a helpful assistant. Conversation " + u + "."));
                histories.add(history);
            }
        }
        long t0 = System.nanoTime();
        List<Result> all = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, List<Long>> byTurn = new java.util.concurrent.ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                int user = u;
                fs.add(pool.submit(() -> {
                    List<Map<String, String>> history = histories.get(user);
                    for (int t = from; t <= to; t++) {
                        history.add(Map.of("role", "user", "content", words(words, user * 1000 + t)));
                        Result r = chat(history);
                        all.add(r);
                        byTurn.computeIfAbsent(t, k -> Collections.synchronizedList(new ArrayList<>())).add(r.ttftNanos());
                        history.add(Map.of("role", "assistant", "content", r.text()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        long wall = System.nanoTime() - t0;
        if (stateFile != null) {
            JSON.writeValue(stateFile.toFile(), histories);
        }
        List<Long> ttft = new ArrayList<>();
        long evaluated = 0;
        int counted = 0;
        int errors = 0;
        for (Result r : all) {
            if (r.error() != null) {
                errors++;
                System.err.println("error: " + r.error());
                continue;
            }
            ttft.add(r.ttftNanos());
            if (r.promptEvaluated() >= 0) {
                evaluated += r.promptEvaluated();
                counted++;
            }
        }
        Collections.sort(ttft);
        ObjectNode o = JSON.createObjectNode();
        o.put("label", label).put("workload", "conversations").put("params", "users=" + users + " turns=" + from + "-" + to + " W=" + words)
                .put("requests", all.size()).put("errors", errors).put("wall_s", wall / 1e9)
                .put("ttft_p50_ms", ms(pct(ttft, 50))).put("ttft_p90_ms", ms(pct(ttft, 90)))
                .put("prompt_evaluated_per_request", counted == 0 ? -1 : evaluated / (double) counted);
        ObjectNode turnsNode = o.putObject("ttft_p50_ms_by_turn");
        for (int t = from; t <= to; t++) {
            List<Long> l = new ArrayList<>(byTurn.getOrDefault(t, List.of()));
            Collections.sort(l);
            turnsNode.put(String.valueOf(t), ms(pct(l, 50)));
        }
        System.out.println(o);
    }

    /** C workers each sending N independent prompts of P tokens. */
    void independent(String label, int concurrency, int perWorker, int promptTokens) throws Exception {
        long t0 = System.nanoTime();
        List<Result> all = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                int worker = w;
                fs.add(pool.submit(() -> {
                    for (int n = 0; n < perWorker; n++) {
                        all.add(chat(List.of(Map.of("role", "user", "content", words(promptTokens, 100_000 + worker * 100 + n + concurrency * 7919)))));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        report(label, "independent", "C=" + concurrency + " P=" + promptTokens, all, System.nanoTime() - t0);
    }

    /** A history of about H tokens is sent once (warming the cache), then continued: TTFT of the continuation. */
    void longHistory(String label, int historyTokens) throws Exception {
        List<Map<String, String>> history = new ArrayList<>();
        history.add(Map.of("role", "system", "content", "You are a helpful assistant."));
        int turns = Math.max(1, historyTokens / 128);
        for (int t = 0; t < turns; t++) {
            history.add(Map.of("role", "user", "content", words(64, 500_000 + historyTokens + t)));
            history.add(Map.of("role", "assistant", "content", words(64, 600_000 + historyTokens + t)));
        }
        history.add(Map.of("role", "user", "content", words(32, 700_000 + historyTokens)));
        Result first = chat(history);
        history.add(Map.of("role", "assistant", "content", first.text()));
        history.add(Map.of("role", "user", "content", words(32, 800_000 + historyTokens)));
        long t0 = System.nanoTime();
        Result next = chat(history);
        report(label, "longhistory", "H=" + historyTokens + " (first " + ms(first.ttftNanos()) + " ms)", List.of(next), System.nanoTime() - t0);
    }

    /** Distinct, tokenizer-friendly filler: about one token per word. */
    static String words(int n, int seed) {
        String[] vocab = {"apple", "river", "stone", "cloud", "green", "music", "table", "light", "ocean", "paper", "train", "window",
                "garden", "silver", "winter", "market", "forest", "number", "yellow", "letter"};
        StringBuilder b = new StringBuilder();
        long x = seed * 2654435761L + 12345;
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b.append(i == 0 ? "" : " ").append(vocab[(int) ((x >>> 33) % vocab.length)]);
        }
        return b.toString();
    }

    // ---- one streaming request ----

    Result chat(List<Map<String, String>> messages) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode msgs = body.putArray(openAi ? "messages" : "conversation_history");
        for (Map<String, String> m : messages) {
            msgs.addObject().put("role", m.get("role")).put("content", m.get("content"));
        }
        body.put("max_tokens", maxTokens).put("temperature", 0);
        if (openAi) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        String path = openAi ? "/v1/chat/completions" : "/api/v1/continue_from_conversation_history";
        long start = System.nanoTime();
        try {
            HttpResponse<InputStream> res = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(10))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (res.statusCode() != 200) {
                return new Result(0, List.of(), 0, System.nanoTime() - start, "", "HTTP " + res.statusCode() + ": " + new String(res.body().readAllBytes()));
            }
            long first = 0;
            long last = 0;
            int tokens = 0;
            Integer usageTokens = null;
            int evaluated = -1;
            List<Long> gaps = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    String piece = null;
                    if (openAi) {
                        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                            continue;
                        }
                        JsonNode chunk = JSON.readTree(line.substring(6));
                        JsonNode usage = chunk.get("usage");
                        if (usage != null && usage.has("completion_tokens")) {
                            usageTokens = usage.get("completion_tokens").asInt();
                            if (evaluated < 0 && usage.has("prompt_tokens")) {
                                evaluated = usage.get("prompt_tokens").asInt()
                                        - usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
                            }
                        }
                        JsonNode timings = chunk.get("timings"); // llama-server: what it really evaluated
                        if (timings != null && timings.has("prompt_n")) {
                            evaluated = timings.get("prompt_n").asInt();
                        }
                        JsonNode delta = chunk.path("choices").path(0).path("delta");
                        String c = delta.path("content").asText("") + delta.path("reasoning_content").asText("");
                        piece = c.isEmpty() ? null : c;
                    } else if (!line.isBlank()) {
                        JsonNode result = JSON.readTree(line).path("Response").path("response").path("GeneratedToken").path("generated_token_result");
                        piece = result.isObject() ? result.path("Token").asText() : null;
                    }
                    if (piece != null) {
                        long now = System.nanoTime();
                        if (first == 0) {
                            first = now;
                        } else {
                            gaps.add(now - last);
                        }
                        last = now;
                        tokens++;
                        text.append(piece);
                    }
                }
            }
            return new Result(first == 0 ? 0 : first - start, gaps, usageTokens != null ? usageTokens : tokens, System.nanoTime() - start,
                    text.toString(), null, evaluated);
        } catch (Exception e) {
            return new Result(0, List.of(), 0, System.nanoTime() - start, "", e.toString());
        }
    }

    // ---- reporting ----

    private static void report(String label, String workload, String params, List<Result> results, long wallNanos) throws Exception {
        List<Long> ttft = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        long tokens = 0;
        int errors = 0;
        for (Result r : results) {
            if (r.error() != null) {
                errors++;
                System.err.println("error: " + r.error());
                continue;
            }
            ttft.add(r.ttftNanos());
            gaps.addAll(r.gapsNanos());
            tokens += r.tokens();
        }
        Collections.sort(ttft);
        Collections.sort(gaps);
        ObjectNode o = JSON.createObjectNode();
        o.put("label", label).put("workload", workload).put("params", params).put("requests", results.size()).put("errors", errors)
                .put("tokens", tokens).put("wall_s", wallNanos / 1e9).put("tokens_per_s", tokens / (wallNanos / 1e9))
                .put("requests_per_s", results.size() / (wallNanos / 1e9))
                .put("ttft_p50_ms", ms(pct(ttft, 50))).put("ttft_p95_ms", ms(pct(ttft, 95))).put("ttft_p99_ms", ms(pct(ttft, 99)))
                .put("itl_p50_ms", ms(pct(gaps, 50))).put("itl_p95_ms", ms(pct(gaps, 95))).put("itl_p99_ms", ms(pct(gaps, 99)));
        System.out.println(o);
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
