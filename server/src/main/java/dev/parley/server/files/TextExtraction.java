package dev.parley.server.files;

import dev.parley.server.api.ApiError;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.poi.openxml4j.util.ZipSecureFile;
import org.apache.tika.config.TikaConfig;
import org.apache.tika.extractor.EmbeddedDocumentExtractor;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.Property;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.AutoDetectParserConfig;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.microsoft.OfficeParserConfig;
import org.apache.tika.parser.microsoft.ooxml.OOXMLParser;
import org.apache.tika.parser.pdf.PDFParserConfig;
import org.apache.tika.sax.BodyContentHandler;
import org.apache.tika.sax.WriteOutContentHandler;
import org.xml.sax.ContentHandler;

/** Extracts a document's text with Apache Tika, once, at upload, within limits. Thread-safe. */
public final class TextExtraction {

    /**
     * maxTextChars: most characters of extracted text (more: 413 file_text_too_long); timeout: wall clock per
     * document; maxConcurrent: extractions at once (others wait up to a few seconds, then 503 extraction_busy).
     */
    public record Limits(long maxTextChars, Duration timeout, int maxConcurrent) {
        public Limits {
            if (maxTextChars < 1 || timeout.isNegative() || timeout.isZero() || maxConcurrent < 1) {
                throw new IllegalArgumentException("extraction limits must be positive: " + maxTextChars + ", "
                        + timeout + ", " + maxConcurrent);
            }
        }
    }

    /** mediaType: sniffed from the content (the file name only refines text/plain into text/csv or text/markdown). */
    public record Extracted(String mediaType, String text) {}

    /** How long an upload waits for a free extraction slot before 503. */
    static final Duration BUSY_WAIT = Duration.ofSeconds(3);
    /** Parsers recurse on nested structures; their own thread gets a known, generous stack. */
    private static final long PARSE_STACK_BYTES = 8L << 20;

    // Tika's zip-bomb guard (SecureContentHandler): XHTML output may exceed 100 x the bytes read only for the
    // first million characters; output elements nest at most 100 deep; package entries at most 10 deep.
    private static final long OUTPUT_THRESHOLD = 1_000_000;
    private static final long MAXIMUM_COMPRESSION_RATIO = 100;
    private static final int MAXIMUM_DEPTH = 100;
    private static final int MAXIMUM_PACKAGE_ENTRY_DEPTH = 10;

    static {
        // POI reads OOXML through ZipSecureFile, whose limits are JVM-wide statics. Tika's OOXMLParser, when
        // its class initialises, turns POI's inflate-ratio check off (-1) and relies on its own
        // SecureContentHandler, which only sees text once a parser emits it: Tika's DOCX handler gathers a
        // whole run first, so one 400 MB run in a 1 MB zip reaches the heap before any check. So initialise
        // OOXMLParser first, then put the limits back: an entry may inflate at most 100 x (POI's default),
        // to at most 100 MB (far more XML than any document whose text fits a context), and a package may
        // hold at most 10,000 entries (Tika's setting).
        try {
            Class.forName(OOXMLParser.class.getName(), true, OOXMLParser.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
        ZipSecureFile.setMinInflateRatio(0.01);
        ZipSecureFile.setMaxEntrySize(100L << 20);
        ZipSecureFile.setMaxFileCount(10_000);
    }

    /** The type this extraction decided on, handed to the parser in place of a second detection. */
    private static final Property PARSE_AS = Property.internalText("parley:parse-as");
    private static final AtomicLong THREADS = new AtomicLong();

    private final Limits limits;
    private final Duration busyWait;
    private final Runnable onSaxEvent;
    private final Semaphore permits;
    private final TikaConfig tika;
    private final AutoDetectParser parser;

    public TextExtraction(Limits limits) {
        this(limits, BUSY_WAIT, () -> {});
    }

    /** For tests: a short busy wait, and a hook run on every SAX event (to make a parse slow or stuck). */
    TextExtraction(Limits limits, Duration busyWait, Runnable onSaxEvent) {
        this.limits = limits;
        this.busyWait = busyWait;
        this.onSaxEvent = onSaxEvent;
        this.permits = new Semaphore(limits.maxConcurrent(), true);
        this.tika = TikaConfig.getDefaultConfig();
        // Detection happens once, in DocumentType; the parser is told the result instead of sniffing again.
        this.parser = new AutoDetectParser(
                (input, metadata) -> MediaType.parse(metadata.get(PARSE_AS)), tika.getParser());
        AutoDetectParserConfig config = new AutoDetectParserConfig();
        config.setOutputThreshold(OUTPUT_THRESHOLD);
        config.setMaximumCompressionRatio(MAXIMUM_COMPRESSION_RATIO);
        config.setMaximumDepth(MAXIMUM_DEPTH);
        config.setMaximumPackageEntryDepth(MAXIMUM_PACKAGE_ENTRY_DEPTH);
        config.setThrowOnZeroBytes(true);
        parser.setAutoDetectParserConfig(config);
    }

    /** Throws {@link ApiError} (status, message, param "file", code) when the file is refused. */
    public Extracted extract(Path file, String fileName) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the uploaded file " + file, e);
        }
        if (size == 0) {
            throw ExtractionFailure.empty(fileName);
        }
        DocumentType type = DocumentType.of(tika.getDetector(), file, fileName);
        Parsed parsed = parseWithinLimits(file, fileName, type);
        String text = TextNormalizer.normalize(parsed.text());
        ApiError failedPart = ExtractionFailure.ofWarnings(parsed.warnings(), text.isEmpty(), fileName, type);
        if (failedPart != null) {
            throw failedPart;
        }
        if (text.length() > limits.maxTextChars()) {
            throw ExtractionFailure.tooLong(fileName, limits); // NFC may lengthen a text slightly
        }
        if (text.isEmpty()) {
            throw ExtractionFailure.noText(fileName, type);
        }
        return new Extracted(type.sniffed().toString(), text);
    }

    /** The raw text of one parse, and the failures Tika noted in the metadata instead of throwing. */
    private record Parsed(String text, List<String> warnings) {}

    /**
     * Parses on a thread of its own, so the deadline holds even for a parser stuck between SAX events: the
     * caller stops waiting and interrupts it. The permit goes back only when that thread has really ended,
     * so parses that ignore their deadline cannot pile up beyond maxConcurrent.
     */
    private Parsed parseWithinLimits(Path file, String fileName, DocumentType type) {
        acquirePermit(fileName);
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        CompletableFuture<Parsed> result = new CompletableFuture<>();
        Thread parse;
        try {
            parse = Thread.ofPlatform()
                    .name("parley-extract-" + THREADS.incrementAndGet())
                    .daemon(true)
                    .stackSize(PARSE_STACK_BYTES)
                    .unstarted(() -> {
                        try {
                            result.complete(parse(file, type, deadline));
                        } catch (Throwable failure) { // OutOfMemoryError and StackOverflowError included
                            result.completeExceptionally(failure);
                        } finally {
                            permits.release();
                        }
                    });
            parse.start();
        } catch (OutOfMemoryError noThread) { // "unable to create native thread": the machine is saturated
            permits.release();
            throw new ApiError(503, "No thread is available to extract '" + fileName + "'; try again shortly.",
                    "file", "extraction_busy");
        }
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            parse.interrupt();
            throw ExtractionFailure.timeout(fileName, limits);
        } catch (ExecutionException e) {
            throw ExtractionFailure.of(e.getCause(), fileName, type, limits);
        } catch (InterruptedException e) {
            parse.interrupt();
            Thread.currentThread().interrupt();
            throw new ApiError(503, "Text extraction of '" + fileName + "' was interrupted (the server is "
                    + "shutting down); try again.", "file", "extraction_busy");
        }
    }

    private void acquirePermit(String fileName) {
        boolean acquired;
        try {
            acquired = permits.tryAcquire(busyWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            throw new ApiError(503, "Too many documents are being extracted at once (at most "
                    + limits.maxConcurrent() + "); try '" + fileName + "' again shortly.", "file",
                    "extraction_busy");
        }
    }

    /** One Tika parse of the document's own text, stopped by the write limit or the deadline. */
    private Parsed parse(Path file, DocumentType type, long deadline) throws Exception {
        StringWriter text = new StringWriter();
        // Tika's write limit stops the parse as soon as there is too much text, rather than after it is built
        int writeLimit = (int) Math.min(limits.maxTextChars(), Integer.MAX_VALUE - 16);
        ContentHandler handler = new DeadlineContentHandler(
                new BodyContentHandler(new WriteOutContentHandler(text, writeLimit)), deadline, onSaxEvent);
        Metadata metadata = new Metadata();
        metadata.set(PARSE_AS, type.parseAs().toString());
        try (TikaInputStream in = TikaInputStream.get(file)) {
            parser.parse(in, handler, metadata, context());
        }
        String[] warnings = metadata.getValues(TikaCoreProperties.TIKA_META_EXCEPTION_WARNING);
        return new Parsed(text.toString(), List.of(warnings));
    }

    private static ParseContext context() {
        ParseContext context = new ParseContext();
        context.set(EmbeddedDocumentExtractor.class, SkipEmbeddedDocuments.INSTANCE);
        PDFParserConfig pdf = new PDFParserConfig();
        pdf.setOcrStrategy(PDFParserConfig.OCR_STRATEGY.NO_OCR);
        pdf.setExtractInlineImages(false);
        pdf.setExtractAnnotationText(true);
        context.set(PDFParserConfig.class, pdf);
        OfficeParserConfig office = new OfficeParserConfig();
        // the SAX extractors stream the XML instead of building POI's whole object model in memory
        office.setUseSAXDocxExtractor(true);
        office.setUseSAXPptxExtractor(true);
        office.setExtractMacros(false);
        context.set(OfficeParserConfig.class, office);
        return context;
    }
}
