package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills during a download, for real: the Hugging Face cache on a 256 KiB tmpfs, a 1 MiB model the
 * Hub under-reports (as if something else took the space meanwhile). The write fails, the partial file stays,
 * and once the filesystem grows the next start resumes from it. Needs root to mount; skipped where it cannot.
 */
class DiskFullTest {

    @TempDir
    Path dir;
    Path mount;
    boolean mounted;
    HubFixture hub;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = Files.createDirectories(dir.resolve("small"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        mounted = p.waitFor() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (needs root): " + out.strip());
        hub = new HubFixture();
    }

    @AfterEach
    void unmount() throws Exception {
        if (hub != null) {
            hub.close();
        }
        if (mounted) {
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void theDiskFillsThePartialIsKeptAndTheNextStartResumes() throws Exception {
        byte[] model = Ggufs.bytes("big", 512); // 1 MiB of tensor data
        HubFixture.Repo r = hub.repo("org/big-GGUF", 7).file("big-Q4_K_M.gguf", model);
        r.claimedSize.put("big-Q4_K_M.gguf", 64L * 1024);
        ModelResolver resolver = new ModelResolver(ModelSources.from(Map.of("HF_HUB_CACHE", mount.toString(), "HF_ENDPOINT", hub.endpoint())));
        String msg = assertThrows(ModelReferenceException.class, () -> resolver.resolve(ModelReference.parse("hf:org/big-GGUF"), PullProgress.NONE))
                .getMessage();
        assertTrue(msg.contains("is the disk full?") && msg.contains("kept in") && msg.contains("resumes"), msg);
        Path partial = HubCache.of(mount, "org/big-GGUF").incomplete(HubFixture.hex(HubFixture.sha256(model)));
        long kept = Files.size(partial);
        assertTrue(kept > 0 && kept < model.length, "kept " + kept);

        Process grow = new ProcessBuilder("mount", "-o", "remount,size=4m", mount.toString()).inheritIO().start();
        assertEquals(0, grow.waitFor());
        r.claimedSize.clear();
        hub.requests.clear();
        Path file = resolver.resolve(ModelReference.parse("hf:org/big-GGUF"), PullProgress.NONE).getFirst();
        assertArrayEquals(model, Files.readAllBytes(file));
        assertEquals(List.of("bytes=" + kept + "-"), hub.downloads().stream().map(HubFixture.Seen::range).toList());
    }
}
