package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.server.files.TestDocuments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chat page in a real headless browser: Debian's chromium driven by playwright-core
 * ({@code src/test/node/chat-page.mjs}, which holds the steps and their checks), against a server with
 * API keys on. Leaves the wide and narrow screenshots in {@code target/chat-page/} (docs/ has copies).
 */
class ChatPageBrowserTest {

    private static final String KEY = "page-key-0123456789";
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};
    // unset max_tokens stays short, so that every answer but the stopped one ends quickly. Two slots: a fork's first
    // turn then takes a slot other than its parent's and still finds the parent's history (through the tiers).
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "8192", "--default-max-tokens", "16"}, keys = "page-user:" + KEY + "\n")
    private static TestServer server;

    @Test
    void aUserChatsForksAttachesAndDeletesInTheBrowser() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed (./parley test installs Debian's package)");
        Path out = Files.createDirectories(Path.of("target/chat-page").toAbsolutePath());
        Path report = Files.write(out.resolve("report.pdf"), TestDocuments.pdf("Quarterly report of the Lumen Company.",
                "Revenue grew by seventeen percent."));
        Path scan = Files.write(out.resolve("scan.pdf"), TestDocuments.imageOnlyPdf());
        for (String shot : List.of("chat-page-wide.png", "chat-page-narrow.png")) {
            Files.deleteIfExists(out.resolve(shot));
        }
        NodeClients.run("chat-page.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(150),
                List.of("PARLEY_KEY=" + KEY, "CHROMIUM=" + CHROMIUM), out.toString(), report.toString(), scan.toString());
        for (String shot : List.of("chat-page-wide.png", "chat-page-narrow.png")) {
            byte[] png = Files.readAllBytes(out.resolve(shot));
            assertArrayEquals(PNG, Arrays.copyOf(png, 4), shot + " is a PNG");
            assertTrue(png.length > 10_000, shot + " shows a page, not a blank: " + png.length + " bytes");
        }
    }
}
