package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The console progress: a bar redrawn in place with bytes, rate and time left. */
class ProgressTest {

    @Test
    void terminalBarShowsBytesRateAndEta() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        TerminalBar bar = new TerminalBar(new PrintStream(sink, true, StandardCharsets.UTF_8));
        long total = 4L << 20;
        bar.bytes("model-Q4_K_M.gguf", "sha256:" + "a".repeat(64), total, 0);
        Thread.sleep(150);
        bar.bytes("model-Q4_K_M.gguf", "sha256:" + "a".repeat(64), total, 1L << 20);
        bar.bytes("model-Q4_K_M.gguf", "sha256:" + "a".repeat(64), total, total);
        bar.status("verifying sha256 digest");
        String out = sink.toString(StandardCharsets.UTF_8);
        String[] redraws = out.split("\r");
        assertEquals(4, redraws.length, out); // nothing before the first, then three draws (the last one always)
        assertTrue(redraws[2].contains("1.0 MiB / 4.0 MiB") && redraws[2].contains("/s") && redraws[2].contains("ETA "), redraws[2]);
        assertTrue(redraws[3].contains("4.0 MiB / 4.0 MiB") && redraws[3].contains("[" + "=".repeat(30) + "]"), redraws[3]);
        assertTrue(redraws[3].endsWith("\nparley: verifying sha256 digest\n"), redraws[3]);
    }

    @Test
    void aCachedFileIsOneLineNotABar() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        new TerminalBar(new PrintStream(sink, true, StandardCharsets.UTF_8)).bytes("m.gguf", null, 2048, 2048);
        assertEquals("parley: m.gguf is in the cache (2.0 KiB)\n", sink.toString(StandardCharsets.UTF_8));
    }

    @Test
    void byteCountsAndEtaReadAsPeopleWriteThem() {
        assertEquals("512 B", RateMeter.bytes(512));
        assertEquals("1.5 KiB", RateMeter.bytes(1536));
        assertEquals("2.0 GiB", RateMeter.bytes(2L << 30));
        assertEquals("--:--", new RateMeter().eta(0, 100));
    }
}
