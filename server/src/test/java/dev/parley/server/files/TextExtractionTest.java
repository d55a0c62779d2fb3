package dev.parley.server.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.api.ApiError;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextExtractionTest {

    private static final TextExtraction.Limits LIMITS =
            new TextExtraction.Limits(1_000_000, Duration.ofSeconds(20), 2);
    private static final TextExtraction EXTRACTION = new TextExtraction(LIMITS);

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private TextExtraction.Extracted extract(String name, byte[] bytes) throws IOException {
        return EXTRACTION.extract(write(name, bytes), name);
    }

    private ApiError refused(TextExtraction extraction, String name, byte[] bytes) throws IOException {
        Path file = write(name, bytes);
        return assertThrows(ApiError.class, () -> extraction.extract(file, name));
    }

    private ApiError refused(String name, byte[] bytes) throws IOException {
        return refused(EXTRACTION, name, bytes);
    }

    private static void assertRefusal(int status, String code, String fileName, ApiError error) {
        assertEquals(code, error.code(), error.getMessage());
        assertEquals(status, error.status(), error.getMessage());
        assertEquals("file", error.param());
        assertTrue(error.getMessage().contains(fileName), error.getMessage());
    }

    // --- each accepted type ---

    @Test
    void pdfTextLayerIsExtracted() throws IOException {
        var extracted = extract("report.pdf", TestDocuments.pdf("Quarterly revenue grew", "Churn fell sharply"));
        assertEquals("application/pdf", extracted.mediaType());
        assertTrue(extracted.text().contains("Quarterly revenue grew"), extracted.text());
        assertTrue(extracted.text().contains("Churn fell sharply"), extracted.text());
    }

    @Test
    void embeddedDocumentsAreNotRead() throws IOException {
        var extracted = extract("with-attachment.pdf",
                TestDocuments.pdfWithAttachment("The cover letter", "attached ledger entries"));
        assertTrue(extracted.text().contains("The cover letter"), extracted.text());
        assertTrue(!extracted.text().contains("ledger"), extracted.text());
    }

    @Test
    void docxParagraphsAreExtracted() throws IOException {
        var extracted = extract("contract.docx", TestDocuments.docx("The tenant pays rent monthly.", "Notice is 30 days."));
        assertEquals("application/vnd.openxmlformats-officedocument.wordprocessingml.document", extracted.mediaType());
        assertEquals(List.of("The tenant pays rent monthly.", "Notice is 30 days."), extracted.text().lines()
                .filter(line -> !line.isEmpty()).toList());
    }

    @Test
    void xlsxCellsStayTabSeparated() throws IOException {
        var extracted = extract("stock.xlsx", TestDocuments.xlsx(new String[][] {{"part", "count"}, {"bolt", "44"}}));
        assertEquals("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extracted.mediaType());
        assertTrue(extracted.text().contains("part\tcount"), extracted.text());
        assertTrue(extracted.text().contains("bolt\t44"), extracted.text());
    }

    /** POI's inflate-ratio check (100 x) is back on: a big, repetitive but ordinary sheet still passes it. */
    @Test
    void aLargeRepetitiveSpreadsheetIsNotMistakenForABomb() throws IOException {
        String[][] rows = new String[10_000][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new String[] {"item " + (i % 10), "warehouse", Integer.toString(i % 7), "ok"};
        }
        long start = System.nanoTime();
        byte[] xlsx = TestDocuments.xlsx(rows);
        report("10,000-row XLSX written (" + xlsx.length + " bytes)", start);
        Measured<TextExtraction.Extracted> extracted = measure("10,000-row XLSX", () -> {
            try {
                return extract("big.xlsx", xlsx);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(10_000, extracted.value().text().lines().filter(line -> line.endsWith("\tok")).count());
    }

    @Test
    void pptxSlidesAreExtracted() throws IOException {
        var extracted = extract("deck.pptx", TestDocuments.pptx("Roadmap for spring", "Hiring plan"));
        assertEquals("application/vnd.openxmlformats-officedocument.presentationml.presentation", extracted.mediaType());
        assertTrue(extracted.text().contains("Roadmap for spring"), extracted.text());
        assertTrue(extracted.text().contains("Hiring plan"), extracted.text());
    }

    @Test
    void htmlAndXhtmlGiveTheirBodyText() throws IOException {
        var html = extract("page.html", utf8("<!DOCTYPE html><html><head><title>T</title><script>var x = 1;</script>"
                + "</head><body><h1>Release notes</h1><p>Fixed the <b>login</b> bug.</p></body></html>"));
        assertEquals("text/html", html.mediaType());
        assertTrue(html.text().contains("Release notes"), html.text());
        assertTrue(html.text().contains("Fixed the login bug."), html.text());
        assertTrue(!html.text().contains("var x"), html.text());

        var xhtml = extract("page.xhtml", utf8("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>T</title></head>"
                + "<body><p>Strict markup here</p></body></html>"));
        assertEquals("application/xhtml+xml", xhtml.mediaType());
        assertTrue(xhtml.text().contains("Strict markup here"), xhtml.text());
    }

    @Test
    void textTypesAreSniffedAndRefinedOnlyByName() throws IOException {
        var markdown = extract("notes.md", utf8("# Plan\n\nShip *files* first.\n"));
        assertEquals("text/markdown", markdown.mediaType());
        assertTrue(markdown.text().contains("Ship *files* first."), markdown.text());

        var csv = extract("parts.csv", utf8("name,qty\nbolt,4\nnut,9\n"));
        assertEquals("text/csv", csv.mediaType());
        assertTrue(csv.text().contains("bolt") && csv.text().contains("nut"), csv.text());

        var plain = extract("readme.txt", utf8("Just words, nothing more.\n"));
        assertEquals("text/plain", plain.mediaType());
        assertEquals("Just words, nothing more.", plain.text());

        var source = extract("Main.java", utf8("class Main { int answer = 42; }\n"));
        assertTrue(source.mediaType().startsWith("text/"), source.mediaType());
        assertTrue(source.text().contains("int answer = 42;"), source.text());
    }

    @Test
    void theNameNeverOverridesTheBytes() throws IOException {
        var pdf = extract("report.txt", TestDocuments.pdf("Still a PDF"));
        assertEquals("application/pdf", pdf.mediaType());
        assertTrue(pdf.text().contains("Still a PDF"), pdf.text());

        // a zip is not a DOCX for being called one: Tika sees no OOXML structure in it
        ApiError zip = refused("notes.docx", TestDocuments.plainZip());
        assertRefusal(415, "unsupported_file_type", "notes.docx", zip);
        assertTrue(zip.getMessage().contains("application/zip"), zip.getMessage());
        assertTrue(zip.getMessage().contains("PDF, DOCX"), zip.getMessage());
    }

    @Test
    void otherTypesAre415() throws IOException {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1};
        ApiError error = refused("photo.pdf", png);
        assertRefusal(415, "unsupported_file_type", "photo.pdf", error);
        assertTrue(error.getMessage().contains("image/png"), error.getMessage());
    }

    // --- refusals ---

    @Test
    void emptyFileIs400() throws IOException {
        assertRefusal(400, "file_empty", "empty.pdf", refused("empty.pdf", new byte[0]));
    }

    @Test
    void encryptedDocumentsAre422() throws IOException {
        assertRefusal(422, "file_encrypted", "locked.pdf", refused("locked.pdf", TestDocuments.encryptedPdf("secret plans")));
        assertRefusal(422, "file_encrypted", "locked.docx", refused("locked.docx", TestDocuments.encryptedDocx("secret plans")));
    }

    @Test
    void documentsWithoutTextAre422() throws IOException {
        ApiError scan = refused("scan.pdf", TestDocuments.imageOnlyPdf());
        assertRefusal(422, "file_no_text", "scan.pdf", scan);
        assertTrue(scan.getMessage().contains("text layer") && scan.getMessage().contains("OCR"), scan.getMessage());

        ApiError blank = refused("blank.txt", utf8("  \n\t\n  \r\n"));
        assertRefusal(422, "file_no_text", "blank.txt", blank);
        ApiError emptyDocx = refused("empty.docx", TestDocuments.docx());
        assertRefusal(422, "file_no_text", "empty.docx", emptyDocx);
    }

    @Test
    void malformedDocumentsAre422() throws IOException {
        assertRefusal(422, "file_malformed", "broken.pdf", refused("broken.pdf", TestDocuments.malformedPdf()));
        byte[] docx = TestDocuments.docx("a paragraph that will be cut off");
        byte[] truncated = Arrays.copyOf(docx, docx.length / 2);
        assertRefusal(422, "file_malformed", "cut.docx", refused("cut.docx", truncated));
    }

    @Test
    void textBeyondTheLimitIs413() throws IOException {
        var small = new TextExtraction(new TextExtraction.Limits(200, Duration.ofSeconds(20), 1));
        String[] paragraphs = new String[50];
        Arrays.fill(paragraphs, "This paragraph is forty-five characters long.");
        ApiError error = refused(small, "long.docx", TestDocuments.docx(paragraphs));
        assertRefusal(413, "file_text_too_long", "long.docx", error);
        assertTrue(error.getMessage().contains("200"), error.getMessage());
        // just under the limit passes
        assertTrue(small.extract(write("short.docx", TestDocuments.docx("short")), "short.docx").text().contains("short"));
    }

    /** A parse that keeps emitting SAX events stops itself at the deadline and gives its permit back. */
    @Test
    void aSlowParseStopsAtItsDeadline() throws IOException {
        AtomicBoolean slowly = new AtomicBoolean(true);
        var extraction = new TextExtraction(new TextExtraction.Limits(1_000_000, Duration.ofMillis(100), 1),
                Duration.ofSeconds(5), () -> {
                    if (slowly.get()) {
                        sleep(20);
                    }
                });
        String[] paragraphs = new String[100];
        Arrays.fill(paragraphs, "one more paragraph");
        assertRefusal(422, "file_extraction_timeout", "slow.docx",
                refused(extraction, "slow.docx", TestDocuments.docx(paragraphs)));
        slowly.set(false);
        // only one permit: this waits for the slow parse to end, which it does by itself
        var next = extraction.extract(write("next.docx", TestDocuments.docx("next in line")), "next.docx");
        assertTrue(next.text().contains("next in line"), next.text());
    }

    @Test
    void aTinyTimeoutOnABigDocumentIs422() throws IOException {
        var hurried = new TextExtraction(new TextExtraction.Limits(100_000_000, Duration.ofMillis(1), 1));
        byte[] big = utf8("a line of a long log file\n".repeat(400_000)); // about 10 MB
        assertRefusal(422, "file_extraction_timeout", "big.log", refused(hurried, "big.log", big));
    }

    /**
     * A parse stuck where it neither emits SAX events nor notices interrupts: the caller still gets its
     * answer at the deadline, and the stuck parse keeps its permit (no pile-up) until it really ends.
     */
    @Test
    void aStuckParseIsAbandonedAtTheDeadlineButKeepsItsPermit() throws Exception {
        CountDownLatch unstick = new CountDownLatch(1);
        AtomicBoolean stuck = new AtomicBoolean(true);
        var extraction = new TextExtraction(new TextExtraction.Limits(1_000_000, Duration.ofMillis(200), 1),
                Duration.ofMillis(100), () -> {
                    while (stuck.get()) {
                        try {
                            unstick.await();
                        } catch (InterruptedException ignored) {
                            // a parser that swallows interrupts
                        }
                    }
                });
        long start = System.nanoTime();
        assertRefusal(422, "file_extraction_timeout", "stuck.docx", refused(extraction, "stuck.docx", TestDocuments.docx("x")));
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis < 5_000, "answered after " + waitedMillis + " ms");

        assertRefusal(503, "extraction_busy", "next.docx", refused(extraction, "next.docx", TestDocuments.docx("y")));

        stuck.set(false);
        unstick.countDown(); // the stuck parse resumes, sees its deadline passed and ends, freeing its permit
        Path file = write("after.docx", TestDocuments.docx("after the stuck one"));
        var extracted = retryWhileBusy(() -> extraction.extract(file, "after.docx"));
        assertTrue(extracted.text().contains("after the stuck one"), extracted.text());
    }

    /** Errors thrown inside a parse are answered, never thrown on: memory and stack as too complex. */
    @Test
    void errorsInAParseBecomeRefusals() throws IOException {
        byte[] docx = TestDocuments.docx("any text");
        assertRefusal(422, "file_too_complex", "oom.docx", refused(throwingOnFirstEvent(new OutOfMemoryError("test")), "oom.docx", docx));
        assertRefusal(422, "file_too_complex", "deep.docx", refused(throwingOnFirstEvent(new StackOverflowError()), "deep.docx", docx));
        assertRefusal(500, "file_extraction_failed", "bug.docx", refused(throwingOnFirstEvent(new LinkageError("test")), "bug.docx", docx));
        assertRefusal(422, "file_malformed", "npe.docx", refused(throwingOnFirstEvent(new NullPointerException("test")), "npe.docx", docx));
    }

    private static TextExtraction throwingOnFirstEvent(Throwable thrown) {
        return new TextExtraction(LIMITS, Duration.ofSeconds(5), () -> {
            if (thrown instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) thrown;
        });
    }

    // --- hostile inputs: refused or extracted within bounded time and memory ---

    @Test
    void zipBombDocxIsRefused() throws IOException {
        long built = System.nanoTime();
        byte[] bomb = TestDocuments.zipBombDocx();
        report("zip bomb built (" + bomb.length + " bytes)", built);
        assertTrue(bomb.length < 1 << 20, "the bomb itself is small: " + bomb.length);
        Measured<ApiError> error = measure("zip bomb DOCX (400 MB inflated)", () -> refusedQuietly("bomb.docx", bomb));
        assertRefusal(422, "file_too_complex", "bomb.docx", error.value());
    }

    /** Tika's HTML parser does not reproduce the nesting (its output stays shallow): the one word comes out. */
    @Test
    void deeplyNestedHtmlIsExtractedInBoundedTime() throws IOException {
        byte[] html = TestDocuments.nestedHtml(200_000);
        Path file = write("nest.html", html);
        Measured<Object> outcome = measure("HTML nested 200,000 deep (" + html.length + " bytes)", () -> {
            try {
                return EXTRACTION.extract(file, "nest.html");
            } catch (ApiError e) {
                return e;
            }
        });
        assertEquals(new TextExtraction.Extracted("text/html", "deep"), outcome.value());
    }

    /** The JDK's XML parser stops at 100 levels of elements (jdk.xml.maxElementDepth, JDK 24 on). */
    @Test
    void largeDeeplyNestedDocxIsRefused() throws IOException {
        byte[] docx = TestDocuments.deeplyNestedDocx(100_000);
        Path file = write("nest.docx", docx);
        Measured<Object> outcome = measure("DOCX with XML nested 100,000 deep (" + docx.length + " bytes)", () -> {
            try {
                return EXTRACTION.extract(file, "nest.docx");
            } catch (ApiError e) {
                return e;
            }
        });
        assertTrue(outcome.value() instanceof ApiError, "refused: " + outcome.value());
        assertRefusal(422, "file_too_complex", "nest.docx", (ApiError) outcome.value());
    }

    // --- normalization ---

    @Test
    void normalizationIsDeterministic() throws IOException {
        byte[] bytes = utf8("Cafe\u0301 menu  \r\nline two\t \r\r\r\r\nend of file\r\n\r\n");
        var first = extract("menu.txt", bytes);
        var second = extract("menu-again.txt", bytes);
        assertEquals("Caf\u00e9 menu\nline two\n\nend of file", first.text());
        assertEquals(first, second);
    }

    @Test
    void normalizerRules() {
        assertEquals("a\n\nb", TextNormalizer.normalize("a\n \n\t\n   \nb"));
        assertEquals("a\tb\nc", TextNormalizer.normalize("\n\n a\tb \t\r\nc\u000b\n"));
        assertEquals("\u00c5", TextNormalizer.normalize("A\u030a"));
        assertEquals("x\n\n  y", TextNormalizer.normalize("x\r\r\r  y"));
        assertEquals("bell and null", TextNormalizer.normalize("bell\u0007 and\u0000 null\u007f"));
    }

    // --- helpers ---

    private ApiError refusedQuietly(String name, byte[] bytes) {
        try {
            return refused(name, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record Measured<T>(T value, long millis, long peakHeapBytes) {
        @Override
        public String toString() {
            return millis + " ms, peak heap " + (peakHeapBytes >> 20) + " MB";
        }
    }

    /** Wall time and the heap's peak use during the call (the pools' peaks, reset first), printed for the report. */
    private static <T> Measured<T> measure(String what, Supplier<T> call) {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        System.gc();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        T value = call.get();
        long millis = (System.nanoTime() - start) / 1_000_000;
        long peak = heap.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        String shown = String.valueOf(value);
        System.out.printf("%s: %d ms, peak heap %d MB -> %s%n", what, millis, peak >> 20,
                shown.length() > 200 ? shown.substring(0, 200) + "..." : shown);
        return new Measured<>(value, millis, peak);
    }

    private static void report(String what, long startNanos) {
        System.out.printf("%s: %d ms%n", what, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private static TextExtraction.Extracted retryWhileBusy(Supplier<TextExtraction.Extracted> call) {
        for (int attempt = 0; ; attempt++) {
            try {
                return call.get();
            } catch (ApiError e) {
                if (!"extraction_busy".equals(e.code()) || attempt >= 50) {
                    throw e;
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
