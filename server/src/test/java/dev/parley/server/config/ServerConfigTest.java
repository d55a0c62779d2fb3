package dev.parley.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.KvCacheType;
import dev.parley.server.modelref.ModelReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

    @Test
    void defaultsWhenNothingIsGiven() {
        ServerConfig c = ServerConfig.load(new String[0], Map.of());
        assertNull(c.model());
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(4, c.slots());
        assertTrue(c.unifiedKv() && c.prefixReuse());
        assertNull(c.gpuLayers(), "auto");
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("parley.properties"), "port = 9000\nslots = 2\nkv-cache-type = q8_0\n");
        Map<String, String> env = Map.of("PARLEY_CONFIG", file.toString(), "PARLEY_SLOTS", "6", "PARLEY_PORT", "9100");
        ServerConfig c = ServerConfig.load(new String[] {"--port", "9200", "--no-prefix-reuse"}, env);
        assertEquals(9200, c.port());
        assertEquals(6, c.slots());
        assertEquals(KvCacheType.Q8_0, c.kvCacheType());
        assertFalse(c.prefixReuse());
        assertEquals(7, ServerConfig.load(new String[] {"--slots=7"}, Map.of()).slots());
    }

    @Test
    void speculativeDecodingIsOffUnlessAskedForAndItsModeAndLengthAreChecked() {
        ServerConfig defaults = ServerConfig.load(new String[0], Map.of());
        assertFalse(defaults.speculation().ngram());
        ServerConfig c = ServerConfig.load(new String[] {"--speculative", "ngram", "--speculative-max", "5"}, Map.of());
        assertTrue(c.speculation().ngram());
        assertEquals(5, c.speculation().maxDraft());
        assertEquals(dev.parley.runtime.engine.Speculation.DEFAULT_MAX_DRAFT,
                ServerConfig.load(new String[0], Map.of("PARLEY_SPECULATIVE", "ngram")).speculation().maxDraft());
        ConfigException mode = assertThrows(ConfigException.class,
                () -> ServerConfig.load(new String[] {"--speculative", "medusa"}, Map.of()));
        assertTrue(mode.getMessage().contains("ngram, draft or off"), mode.getMessage());
        assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--speculative-max", "0"}, Map.of()));
    }

    @Test
    void aDraftModelComesWithTheDraftModeAndIsResolvedAtStart(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path draft = java.nio.file.Files.writeString(dir.resolve("small.gguf"), "GGUF");
        ConfigException none = assertThrows(ConfigException.class,
                () -> ServerConfig.load(new String[] {"--speculative", "draft"}, Map.of()));
        assertTrue(none.getMessage().contains("--model-draft"), none.getMessage());
        ConfigException both = assertThrows(ConfigException.class,
                () -> ServerConfig.load(new String[] {"--speculative", "ngram", "--model-draft", draft.toString()}, Map.of()));
        assertTrue(both.getMessage().contains("--speculative draft"), both.getMessage());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> ServerConfig.load(new String[] {"--model-draft", dir.resolve("absent.gguf").toString()}, Map.of()));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());

        ServerConfig alone = ServerConfig.load(new String[] {"--model-draft", draft.toString(), "--speculative-max", "4"}, Map.of());
        assertEquals(draft, ((ModelReference.LocalFile) alone.modelDraft()).path(), "a draft model alone means --speculative draft");
        assertFalse(alone.speculation().on(), "the engine drafts only once the reference is resolved");
        ServerConfig resolved = alone.withModelDraft(draft);
        assertEquals(draft, resolved.speculation().draftModel());
        assertEquals(4, resolved.speculation().maxDraft());
        assertTrue(resolved.speculation().on());
        ServerConfig plain = ServerConfig.load(new String[0], Map.of());
        assertNull(plain.modelDraft());
        assertFalse(plain.speculation().on());
        assertEquals(dev.parley.runtime.engine.Speculation.DEFAULT_DRAFT_MIN_P, resolved.speculation().draftMinP());
        ServerConfig sure = ServerConfig.load(new String[] {"--model-draft", draft.toString(), "--draft-p-min", "0.5"}, Map.of());
        assertEquals(0.5f, sure.withModelDraft(draft).speculation().draftMinP());
        for (String bad : new String[] {"1.5", "-0.1", "often"}) {
            assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--draft-p-min", bad}, Map.of()), bad);
        }
    }

    @Test
    void kvBudgetsTakeSizesAndZeroOrNoKvDiskTurnsATierOff() {
        ServerConfig defaults = ServerConfig.load(new String[0], Map.of());
        assertTrue(defaults.kvRamBudgetBytes() > 0 && defaults.kvRamBudgetBytes() <= 8L << 30, "auto: a quarter of memory, at most 8 GiB");
        assertEquals(16L << 30, defaults.kvDiskBudgetBytes());
        ServerConfig c = ServerConfig.load(new String[] {"--kv-ram-budget", "512MiB", "--kv-disk-budget=2GiB"}, Map.of());
        assertEquals(512L << 20, c.kvRamBudgetBytes());
        assertEquals(2L << 30, c.kvDiskBudgetBytes());
        assertEquals(0, ServerConfig.load(new String[] {"--kv-ram-budget", "0"}, Map.of()).kvRamBudgetBytes());
        assertEquals(0, ServerConfig.load(new String[] {"--kv-disk-budget", "2GiB", "--no-kv-disk"}, Map.of()).kvDiskBudgetBytes());
        assertEquals(3L << 30, ServerConfig.load(new String[0], Map.of("PARLEY_KV_RAM_BUDGET", "3G")).kvRamBudgetBytes());
        assertEquals("--kv-ram-budget: unknown size unit in '8 gallons' (use B, KiB, MiB, GiB or TiB)", fail("--kv-ram-budget", "8 gallons"));
        assertEquals("--kv-disk-budget: not a size: 'lots' (examples: 8GiB, 512MiB, 0)", fail("--kv-disk-budget", "lots"));
    }

    @Test
    void theSharedKvTierIsOffUnlessGivenAUrlItUnderstands() {
        assertNull(ServerConfig.load(new String[0], Map.of()).kvShared());
        var redis = ServerConfig.load(new String[] {"--kv-shared", "rediss://cache.example:6380/3", "--kv-shared-ttl", "600"},
                Map.of("PARLEY_KV_SHARED_PASSWORD", "s3cret")).kvShared();
        assertEquals("rediss://cache.example:6380/3", redis.url());
        assertEquals(java.time.Duration.ofMinutes(10), redis.ttl());
        assertEquals("s3cret", redis.password());
        var dir = ServerConfig.load(new String[0], Map.of("PARLEY_KV_SHARED", "file:///mnt/kv")).kvShared();
        assertEquals(java.time.Duration.ofDays(1), dir.ttl(), "a day by default");
        assertEquals("--kv-shared: expected file:///PATH, redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB], got 'memcached://x:1'",
                fail("--kv-shared", "memcached://x:1"));
        assertEquals("--kv-shared: put the Redis password in PARLEY_KV_SHARED_PASSWORD, not in the URL",
                fail("--kv-shared", "redis://:pw@cache:6379"));
        assertEquals("--kv-shared: expected a database number after the port (redis://HOST:PORT/0), got 'x'", fail("--kv-shared", "redis://cache:6379/x"));
        assertEquals("--kv-shared: expected file:///ABSOLUTE/PATH, got 'file://host/kv'", fail("--kv-shared", "file://host/kv"));
        assertTrue(fail("--kv-shared", "file:///kv", "--kv-shared-ttl", "0").startsWith("--kv-shared-ttl: "));
    }

    @Test
    void allowedOriginsComeFromTheFlagTheEnvironmentOrTheOldCorsName() {
        assertEquals(java.util.Set.of(), ServerConfig.load(new String[0], Map.of()).http().allowedOrigins());
        assertEquals(java.util.Set.of("https://a.example", "http://b.example:3000"),
                ServerConfig.load(new String[] {"--allowed-origins", "https://A.example, http://b.example:3000"}, Map.of()).http().allowedOrigins());
        assertEquals(java.util.Set.of("*"), ServerConfig.load(new String[0], Map.of("PARLEY_ALLOWED_ORIGINS", "*")).http().allowedOrigins());
        assertEquals(java.util.Set.of("https://a.example", "https://old.example"), ServerConfig.load(
                new String[] {"--allowed-origins", "https://a.example", "--cors-origins", "https://old.example"}, Map.of()).http().allowedOrigins());
        assertEquals("--allowed-origins: expected origins like https://app.example.com (scheme://host[:port], no path) or *, got 'https://a.example/app'",
                fail("--allowed-origins", "https://a.example/app"));
    }

    @Test
    void badConfigurationIsOneClearLine(@TempDir Path dir) throws Exception {
        assertEquals("--port: expected a whole number from 0 to 65535, got 'abc'", fail("--port", "abc"));
        assertEquals("unknown option '--prot' (see --help)", fail("--prot", "1"));
        assertEquals("--slots needs a value: N", fail("--slots"));
        assertEquals("--kv-cache-type: unknown KV cache type 'f8': use f16, q8_0 or q4_0", fail("--kv-cache-type", "f8"));
        assertTrue(fail("--model", dir.resolve("missing.gguf").toString()).startsWith("--model: no such file: "));
        assertEquals("--ubatch-size (1024) must not exceed --batch-size (512)", fail("--ubatch-size", "1024"));
        Path bad = Files.writeString(dir.resolve("bad.properties"), "colour = blue\n");
        assertTrue(fail("--config", bad.toString()).contains("unknown key 'colour'"));
        for (String line : new String[] {fail("--port", "abc"), fail("--prot", "1")}) {
            assertFalse(line.contains("\n"));
        }
    }

    @Test
    void replicaNameIsOptionalAndHeaderSafe() {
        assertNull(ServerConfig.load(new String[0], Map.of()).replicaName());
        assertEquals("parley-7d9f-x2", ServerConfig.load(new String[0], Map.of("PARLEY_REPLICA_NAME", "parley-7d9f-x2")).replicaName());
        assertEquals("--replica-name: expected 1 to 63 letters, digits, '.', '_' or '-', got 'a b'", fail("--replica-name", "a b"));
    }

    @Test
    void helpListsEveryOptionWithItsEnvironmentVariable() {
        assertThrows(ServerConfig.HelpRequested.class, () -> ServerConfig.load(new String[] {"--help"}, Map.of()));
        String usage = ServerConfig.usage();
        for (Option o : Option.ALL) {
            assertTrue(usage.contains(o.flag()) && usage.contains(o.env()), o.name());
        }
    }

    private static String fail(String... args) {
        return assertThrows(ConfigException.class, () -> ServerConfig.load(args, Map.of())).getMessage();
    }

    @Test
    void creditPricesHaveDefaultsAndAtMostThreeDecimals() {
        CreditPrices d = ServerConfig.load(new String[0], Map.of()).credits();
        assertEquals(1000, CreditPrices.microsPerToken(d.promptPer1k()), "1 credit per 1,000 prompt tokens");
        assertEquals(100, CreditPrices.microsPerToken(d.cachedPromptPer1k()), "cached prompt tokens a tenth of that");
        assertEquals(4000, CreditPrices.microsPerToken(d.completionPer1k()));
        CreditPrices c = ServerConfig.load(new String[] {"--credits-per-1k-prompt", "2.5", "--credits-per-1k-cached-prompt=0.001",
                "--credits-per-1k-completion", "0"}, Map.of("PARLEY_CREDITS_PER_1K_PROMPT", "9")).credits();
        assertEquals(2500, CreditPrices.microsPerToken(c.promptPer1k()));
        assertEquals(1, CreditPrices.microsPerToken(c.cachedPromptPer1k()));
        assertEquals(0, CreditPrices.microsPerToken(c.completionPer1k()));
        for (String bad : new String[] {"-1", "0.0001", "abc", "2000000"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--credits-per-1k-completion", bad}, Map.of()));
            assertTrue(e.getMessage().contains("--credits-per-1k-completion"), e.getMessage());
        }
    }

    @Test
    void embeddingForcesAPoolingOrLeavesItToTheModel() {
        assertNull(ServerConfig.load(new String[0], Map.of()).embedding());
        assertEquals(dev.parley.bindings.Pooling.LAST, ServerConfig.load(new String[] {"--embedding", "last"}, Map.of()).embedding());
        assertEquals(dev.parley.bindings.Pooling.MEAN, ServerConfig.load(new String[0], Map.of("PARLEY_EMBEDDING", "MEAN")).embedding());
        ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--embedding", "max"}, Map.of()));
        assertTrue(e.getMessage().contains("--embedding") && e.getMessage().contains("mean, cls or last"), e.getMessage());
    }
}
