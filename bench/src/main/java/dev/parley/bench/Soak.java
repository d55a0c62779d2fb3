package dev.parley.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A memory soak: mixed traffic for a bounded time against a running server (multi-turn conversations
 * with a session header that outnumber the slots, so the KV tiers save and restore all the time;
 * one-off prompts; streaming and not), sampling /metrics to print resident memory against the first
 * sample, the heap, and what the KV RAM tier holds. Once the tier has filled its budget, resident
 * memory should stay flat; the last line says by how much it moved from then on.
 *
 * <pre>
 * Soak --url http://127.0.0.1:8080 [--minutes 3] [--users 8] [--sample-seconds 15] [--max-tokens 16]
 * </pre>
 * scripts/soak.sh builds, starts the server with a small --kv-ram-budget and runs this.
 */
public final class Soak {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private static final String[] WORDS = ("the harbour lights were low as the ferry came in and the keeper wrote another line in "
            + "his book about the weather the tides the gulls and the long grey swell that rolled in from the west").split(" ");

    private final String url;
    private final int maxTokens;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean running = true;

    private Soak(String url, int maxTokens) {
        this.url = url;
        this.maxTokens = maxTokens;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        Soak soak = new Soak(a.getOrDefault("url", "http://127.0.0.1:8080"), Integer.parseInt(a.getOrDefault("max-tokens", "16")));
        double minutes = Double.parseDouble(a.getOrDefault("minutes", "3"));
        int users = Integer.parseInt(a.getOrDefault("users", "8"));
        long sampleMillis = (long) (Double.parseDouble(a.getOrDefault("sample-seconds", "15")) * 1000);
        soak.run(users, (long) (minutes * 60_000), sampleMillis);
    }

    private void run(int users, long durationMillis, long sampleMillis) throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        for (int u = 0; u < users; u++) {
            int user = u;
            pool.submit(() -> user(user));
        }
        long start = System.currentTimeMillis();
        List<Map<String, Double>> samples = new ArrayList<>();
        System.out.println("   s  requests errors  rss_MiB  rss_delta  heap_used  heap_committed  kv_ram_MiB  kv_ram_entries  spilling_MiB  kv_disk_MiB");
        while (true) {
            long now = System.currentTimeMillis() - start;
            Map<String, Double> m = scrape();
            m.put("t", now / 1000.0);
            samples.add(m);
            double rss0 = samples.getFirst().get("rss");
            System.out.printf(Locale.ROOT, "%4.0f  %8d %6d  %7.1f  %+9.1f  %9.1f  %14.1f  %10.2f  %14.0f  %12.2f  %11.2f%n", m.get("t"),
                    requests.get(), errors.get(), mib(m.get("rss")), mib(m.get("rss") - rss0), mib(m.get("heapUsed")),
                    mib(m.get("heapCommitted")), mib(m.get("ram")), m.get("ramEntries"), mib(m.get("spilling")), mib(m.get("disk")));
            if (now >= durationMillis) {
                break;
            }
            Thread.sleep(Math.min(sampleMillis, durationMillis - now + 1));
        }
        running = false;
        pool.shutdown();
        pool.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES);
        summary(samples);
    }

    /** From the first sample at which the RAM tier stopped growing (within 5%) to the end: how RSS moved. */
    private void summary(List<Map<String, Double>> samples) {
        double maxRam = samples.stream().mapToDouble(s -> s.get("ram")).max().orElse(0);
        Map<String, Double> full = samples.stream().filter(s -> s.get("ram") >= 0.95 * maxRam).findFirst().orElse(samples.getFirst());
        Map<String, Double> last = samples.getLast();
        System.out.printf(Locale.ROOT, "requests %d (errors %d) in %.0f s; RSS %.1f -> %.1f MiB; RAM tier at its peak (%.2f MiB) from %.0f s, "
                        + "RSS then %.1f MiB, at the end %.1f MiB (%+.1f MiB, %+.1f%%); heap committed %.1f -> %.1f MiB%n",
                requests.get(), errors.get(), last.get("t"), mib(samples.getFirst().get("rss")), mib(last.get("rss")), mib(maxRam),
                full.get("t"), mib(full.get("rss")), mib(last.get("rss")), mib(last.get("rss") - full.get("rss")),
                100 * (last.get("rss") - full.get("rss")) / full.get("rss"), mib(samples.getFirst().get("heapCommitted")),
                mib(last.get("heapCommitted")));
    }

    private static double mib(double bytes) {
        return bytes / (1 << 20);
    }

    /** One user: conversations of up to 6 turns under a session header, with one-off prompts in between. */
    private void user(int user) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int conversation = 0;
        while (running) {
            String session = "soak-" + user + "-" + conversation++;
            ArrayNode messages = JSON.createArrayNode();
            int turns = 2 + rnd.nextInt(5);
            for (int t = 0; t < turns && running; t++) {
                messages.addObject().put("role", "user").put("content", words(rnd, 20 + rnd.nextInt(60)));
                String reply = chat(messages, session, rnd.nextBoolean());
                if (reply == null) {
                    break;
                }
                messages.addObject().put("role", "assistant").put("content", reply);
                if (rnd.nextInt(4) == 0 && running) {
                    ArrayNode once = JSON.createArrayNode();
                    once.addObject().put("role", "user").put("content", words(rnd, 10 + rnd.nextInt(200)));
                    chat(once, null, rnd.nextBoolean());
                }
            }
        }
    }

    private static String words(ThreadLocalRandom rnd, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        return b.toString();
    }

    /** One chat completion; the assistant's text, or null on an error (counted). */
    private String chat(ArrayNode messages, String session, boolean stream) {
        ObjectNode body = JSON.createObjectNode().put("model", "soak").put("max_tokens", maxTokens).put("temperature", 0.7)
                .put("stream", stream);
        body.set("messages", messages.deepCopy());
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (session != null) {
            r.header("x-session-id", session);
        }
        try {
            HttpResponse<String> resp = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
            requests.incrementAndGet();
            if (resp.statusCode() != 200) {
                errors.incrementAndGet();
                return null;
            }
            if (!stream) {
                return JSON.readTree(resp.body()).path("choices").path(0).path("message").path("content").asText("");
            }
            StringBuilder text = new StringBuilder();
            for (String line : resp.body().lines().toList()) {
                if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                    text.append(JSON.readTree(line.substring(6)).path("choices").path(0).path("delta").path("content").asText(""));
                }
            }
            return text.toString();
        } catch (Exception e) {
            errors.incrementAndGet();
            return null;
        }
    }

    /** The memory gauges of /metrics. */
    private Map<String, Double> scrape() throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> m = new HashMap<>(Map.of("rss", 0.0, "heapUsed", 0.0, "heapCommitted", 0.0, "ram", 0.0, "ramEntries", 0.0,
                "spilling", 0.0, "disk", 0.0));
        for (String line : text.lines().toList()) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            String series = line.substring(0, line.lastIndexOf(' '));
            int brace = series.indexOf('{');
            String name = brace < 0 ? series : series.substring(0, brace);
            String tier = series.contains("tier=\"ram\"") ? "ram" : series.contains("tier=\"disk\"") ? "disk" : "";
            switch (name + "/" + tier) {
                case "parley_process_resident_memory_bytes/" -> m.put("rss", v);
                case "parley_jvm_heap_used_bytes/" -> m.put("heapUsed", v);
                case "parley_jvm_heap_committed_bytes/" -> m.put("heapCommitted", v);
                case "parley_kv_bytes/ram" -> m.put("ram", v);
                case "parley_kv_entries/ram" -> m.put("ramEntries", v);
                case "parley_kv_spilling_bytes/" -> m.put("spilling", v);
                case "parley_kv_bytes/disk" -> m.put("disk", v);
                default -> { }
            }
        }
        return m;
    }
}
