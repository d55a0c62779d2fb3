package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hub references against the fixture Hub: nothing here touches the network. */
class HubResolverTest {

    @TempDir
    Path home;

    HubFixture hub;
    final byte[] q4 = Ggufs.bytes("q4");
    final byte[] q8 = Ggufs.bytes("q8");

    @BeforeEach
    void start() throws Exception {
        hub = new HubFixture();
        hub.repo("org/tiny-GGUF", 1).file("README.md", "hello".getBytes()).file("tiny-F16.gguf", Ggufs.bytes("f16"))
                .file("tiny-Q4_K_M.gguf", q4).file("tiny-Q8_0.gguf", q8).file("mmproj-tiny-Q8_0.gguf", Ggufs.bytes("mmproj"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    ModelResolver resolver(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("HF_HOME", home.resolve("hf").toString(), "HF_ENDPOINT", hub.endpoint()));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return new ModelResolver(ModelSources.from(env));
    }

    List<Path> resolve(String ref, String... env) {
        return resolver(env).resolve(ModelReference.parse(ref), PullProgress.NONE);
    }

    Path repoDir(String repo) {
        return home.resolve("hf").resolve("hub").resolve("models--" + repo.replace("/", "--"));
    }

    @Test
    void downloadsIntoTheHubCacheLayoutAndReusesIt() throws Exception {
        Path file = resolve("hf:org/tiny-GGUF:q8_0").getFirst();
        String commit = hub.repos.get("org/tiny-GGUF").commit;
        Path repo = repoDir("org/tiny-GGUF");
        assertEquals(repo.resolve("snapshots").resolve(commit).resolve("tiny-Q8_0.gguf"), file);
        assertTrue(Files.isSymbolicLink(file));
        Path blob = repo.resolve("blobs").resolve(HubFixture.hex(HubFixture.sha256(q8)));
        assertEquals(blob, file.getParent().resolve(Files.readSymbolicLink(file)).normalize());
        assertArrayEquals(q8, Files.readAllBytes(file));
        assertEquals(commit, Files.readString(repo.resolve("refs").resolve("main")));
        assertEquals(1, hub.downloads().size());
        // the second start finds the snapshot: the API is asked, nothing is downloaded again
        assertEquals(file, resolve("hf.co/org/tiny-GGUF:Q8_0").getFirst());
        assertEquals(1, hub.downloads().size());
    }

    @Test
    void defaultQuantIsLlamaServersAndMismatchListsTheQuants() {
        assertEquals("tiny-Q4_K_M.gguf", resolve("hf:org/tiny-GGUF").getFirst().getFileName().toString());
        assertEquals("tiny-F16.gguf", resolve("org/tiny-GGUF:f16").getFirst().getFileName().toString());
        assertEquals("tiny-Q8_0.gguf", resolve("hf:org/tiny-GGUF/TINY-q8_0.gguf").getFirst().getFileName().toString());
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q5_K_S")).getMessage();
        assertTrue(msg.contains("matches quant 'Q5_K_S'") && msg.contains("F16, Q4_K_M, Q8_0"), msg);
        assertFalse(msg.contains("mmproj"), msg);
        hub.repo("org/no-gguf", 2).file("model.safetensors", new byte[] {1, 2, 3}).file("config.json", "{}".getBytes());
        msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/no-gguf")).getMessage();
        assertTrue(msg.contains("has no GGUF model file") && msg.contains("model.safetensors"), msg);
    }

    @Test
    void splitModelsBringEveryPart() {
        hub.repo("org/big-GGUF", 3).file("Q4_K_M/big-Q4_K_M-00002-of-00002.gguf", Ggufs.bytes("p2"))
                .file("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf", Ggufs.bytes("p1"));
        List<Path> parts = resolve("hf:org/big-GGUF:Q4_K_M");
        assertEquals(List.of("big-Q4_K_M-00001-of-00002.gguf", "big-Q4_K_M-00002-of-00002.gguf"),
                parts.stream().map(p -> p.getFileName().toString()).toList());
        // both parts lie side by side, where llama.cpp looks for them
        assertEquals(parts.get(0).getParent(), parts.get(1).getParent());
    }

    @Test
    void gatedRepoNeedsHfToken() {
        hub.repos.get("org/tiny-GGUF").token = "hf_secret";
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0")).getMessage();
        assertTrue(msg.contains("HTTP 401") && msg.contains("set HF_TOKEN"), msg);
        msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0", "HF_TOKEN", "hf_wrong")).getMessage();
        assertTrue(msg.contains("HF_TOKEN has no access"), msg);
        assertTrue(Files.isRegularFile(resolve("hf:org/tiny-GGUF:Q8_0", "HF_TOKEN", "hf_secret").getFirst()));
        assertTrue(hub.downloads().stream().allMatch(s -> "Bearer hf_secret".equals(s.authorization())));
    }

    @Test
    void twoPullsOfOneFileDownloadItOnce() throws Exception {
        hub.repo("org/spaced-GGUF", 6).file("sub dir/tiny #1-Q4_K_M.gguf", q4);
        List<Thread> threads = new ArrayList<>();
        List<Path> got = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 3; i++) {
            threads.add(Thread.ofVirtual().start(() -> got.add(resolve("hf:org/spaced-GGUF").getFirst())));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(3, got.size());
        assertEquals(1, got.stream().distinct().count());
        assertEquals("tiny #1-Q4_K_M.gguf", got.getFirst().getFileName().toString());
        assertArrayEquals(q4, Files.readAllBytes(got.getFirst()));
        assertEquals(1, hub.downloads().size());
    }

    @Test
    void gatedRepoWithAPublicListingRefusesTheDownload() throws Exception {
        HubFixture.Repo r = hub.repos.get("org/tiny-GGUF");
        r.token = "hf_secret";
        r.listingPublic = true;
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0")).getMessage();
        assertTrue(msg.contains("HTTP 401") && msg.contains("set HF_TOKEN"), msg);
        try (var blobs = Files.list(repoDir("org/tiny-GGUF").resolve("blobs"))) {
            assertEquals(0, blobs.filter(Files::isRegularFile).count());
        }
        assertArrayEquals(q8, Files.readAllBytes(resolve("hf:org/tiny-GGUF:Q8_0", "HF_TOKEN", "hf_secret").getFirst()));
    }

    @Test
    void unknownRepoIs404() {
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/missing-GGUF")).getMessage();
        assertTrue(msg.contains("org/missing-GGUF") && msg.contains("404"), msg);
    }

    @Test
    void wrongHashDeletesTheBlobAndNamesBothHashes() throws Exception {
        String claimed = "ab".repeat(32);
        hub.repos.get("org/tiny-GGUF").claimedSha.put("tiny-Q8_0.gguf", claimed);
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0")).getMessage();
        assertTrue(msg.contains(claimed) && msg.contains(HubFixture.hex(HubFixture.sha256(q8))), msg);
        try (var blobs = Files.list(repoDir("org/tiny-GGUF").resolve("blobs"))) {
            assertEquals(0, blobs.count());
        }
        assertFalse(Files.exists(repoDir("org/tiny-GGUF").resolve("snapshots")));
    }

    @Test
    void cutOffTransferResumesWithRange() throws Exception {
        hub.cutAfter = 5000;
        hub.cutsLeft.set(1);
        Path file = resolve("hf:org/tiny-GGUF:Q8_0").getFirst();
        assertArrayEquals(q8, Files.readAllBytes(file));
        List<HubFixture.Seen> downloads = hub.downloads();
        assertEquals(2, downloads.size());
        assertEquals(null, downloads.get(0).range());
        assertEquals("bytes=5000-", downloads.get(1).range());
    }

    @Test
    void redirectsToACdnAreFollowedAndResumeThere() throws Exception {
        hub.redirect = true;
        hub.cutAfter = 6000;
        hub.cutsLeft.set(1);
        Path file = resolve("hf:org/tiny-GGUF:Q8_0").getFirst();
        assertArrayEquals(q8, Files.readAllBytes(file));
        List<HubFixture.Seen> cdn = hub.downloads().stream().filter(s -> s.path().startsWith("/cdn/")).toList();
        assertEquals(2, cdn.size());
        assertEquals("bytes=6000-", cdn.get(1).range()); // the Range survives the redirect
    }

    @Test
    void serverErrorsAreRetriedAndListedFilesMissingAreNamed() throws Exception {
        hub.unavailableLeft.set(2);
        assertArrayEquals(q8, Files.readAllBytes(resolve("hf:org/tiny-GGUF:Q8_0").getFirst()));
        assertEquals(3, hub.downloads().size());
        hub.unavailableLeft.set(3);
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q4_K_M")).getMessage();
        assertTrue(msg.contains("failed 3 times") && msg.contains("HTTP 503"), msg);
    }

    @Test
    void stalledTransferIsDroppedAndResumed() throws Exception {
        hub.cutAfter = 4000;
        hub.stallsLeft.set(1);
        hub.stallMillis = 10_000;
        long start = System.nanoTime();
        Path file = resolve("hf:org/tiny-GGUF:Q8_0", "HF_HUB_DOWNLOAD_TIMEOUT", "1").getFirst();
        assertTrue(System.nanoTime() - start < 8_000_000_000L, "the stall was cut short by the timeout");
        assertArrayEquals(q8, Files.readAllBytes(file));
        assertEquals(List.of("bytes=4000-"), hub.downloads().stream().skip(1).map(HubFixture.Seen::range).toList());
        assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0", "HF_HUB_DOWNLOAD_TIMEOUT", "0"));
    }

    @Test
    void partialDownloadIsKeptAndTheNextStartResumes() throws Exception {
        hub.cutAfter = 3000;
        hub.cutsLeft.set(3);
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q8_0")).getMessage();
        assertTrue(msg.contains("failed 3 times") && msg.contains("kept in"), msg);
        Path partial = repoDir("org/tiny-GGUF").resolve("blobs").resolve(HubFixture.hex(HubFixture.sha256(q8)) + ".incomplete");
        assertEquals(9000, Files.size(partial));
        hub.requests.clear();
        assertArrayEquals(q8, Files.readAllBytes(resolve("hf:org/tiny-GGUF:Q8_0").getFirst()));
        assertEquals(List.of("bytes=9000-"), hub.downloads().stream().map(HubFixture.Seen::range).toList());
        assertFalse(Files.exists(partial));
    }

    @Test
    void nonGgufFileIsRefusedBeforeLoading() {
        hub.repo("org/fake-GGUF", 4).file("fake-Q4_K_M.gguf", "<!doctype html><p>login</p>".repeat(10).getBytes());
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/fake-GGUF")).getMessage();
        assertTrue(msg.contains("not a GGUF file"), msg);
    }

    @Test
    void aFileLargerThanTheDiskIsRefusedWithTheNumbersAndNothingIsFetched() throws Exception {
        HubFixture.Repo r = hub.repo("org/huge-GGUF", 5).file("huge-Q4_K_M.gguf", q4);
        Files.createDirectories(home);
        // the Hub reports the size before the transfer: one larger than the free space is refused up front
        r.claimedSize.put("huge-Q4_K_M.gguf", Files.getFileStore(home).getUsableSpace() + (1L << 40));
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/huge-GGUF")).getMessage();
        assertTrue(msg.contains("huge-Q4_K_M.gguf needs") && msg.contains("free space"), msg);
        assertEquals(0, hub.downloads().size());
    }

    @Test
    void offlineServesFromTheCacheOnly() {
        Path online = resolve("hf:org/tiny-GGUF:Q8_0").getFirst();
        hub.apiDown = true; // a Hub answering 5xx is as good as unreachable: the cache serves
        assertEquals(online, resolve("hf:org/tiny-GGUF:Q8_0").getFirst());
        hub.close();
        assertEquals(online, resolve("hf:org/tiny-GGUF:Q8_0", "HF_HUB_OFFLINE", "1").getFirst());
        // without HF_HUB_OFFLINE an unreachable Hub also falls back to the cache
        assertEquals(online, resolve("hf:org/tiny-GGUF:Q8_0").getFirst());
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/tiny-GGUF:Q4_K_M", "HF_HUB_OFFLINE", "1")).getMessage();
        assertTrue(msg.contains("matches quant 'Q4_K_M'") && msg.contains("Q8_0"), msg);
        msg = assertThrows(ModelReferenceException.class, () -> resolve("hf:org/other-GGUF", "HF_HUB_OFFLINE", "1")).getMessage();
        assertTrue(msg.contains("not in the Hugging Face cache") && msg.contains("HF_HUB_OFFLINE"), msg);
    }

    @Test
    void filesFetchedByOtherToolsAreUsedWithoutADownload() throws Exception {
        // what huggingface_hub leaves behind: a blob, a snapshot link, refs/main
        String commit = hub.repos.get("org/tiny-GGUF").commit;
        HubCache cache = HubCache.of(home.resolve("hf").resolve("hub"), "org/tiny-GGUF");
        String sha = HubFixture.hex(HubFixture.sha256(q4));
        Files.createDirectories(cache.blob(sha).getParent());
        Files.write(cache.blob(sha), q4);
        cache.link(commit, "tiny-Q4_K_M.gguf", sha);
        cache.writeRef("main", commit);
        List<String> seen = new ArrayList<>();
        assertEquals(cache.snapshot(commit, "tiny-Q4_K_M.gguf"), resolve("hf:org/tiny-GGUF").getFirst());
        hub.downloads().forEach(s -> seen.add(s.path()));
        assertEquals(List.of(), seen);
    }
}
