package dev.parley.server.files;

import dev.parley.server.api.ApiError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.apache.tika.detect.Detector;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.mime.MediaType;

/**
 * What a file is, sniffed from its bytes by Tika's detector (magic numbers, zip and OLE2 containers), and
 * whether Parley reads it. The client's Content-Type is never consulted and the file name never overrides
 * the bytes: it only tells plain text apart as CSV or Markdown, which have no magic of their own.
 */
record DocumentType(MediaType sniffed, MediaType parseAs) {

    static final MediaType PDF = MediaType.application("pdf");
    static final MediaType DOCX =
            MediaType.application("vnd.openxmlformats-officedocument.wordprocessingml.document");
    static final MediaType XLSX = MediaType.application("vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    static final MediaType PPTX =
            MediaType.application("vnd.openxmlformats-officedocument.presentationml.presentation");
    static final MediaType HTML = MediaType.text("html");
    static final MediaType XHTML = MediaType.application("xhtml+xml");
    static final MediaType CSV = MediaType.text("csv");
    static final MediaType MARKDOWN = MediaType.text("markdown");
    /** What Tika's container detector calls an OOXML file wrapped in OLE2 encryption (a password to open). */
    static final MediaType OOXML_PROTECTED = MediaType.application("x-tika-ooxml-protected");

    private static final Set<MediaType> DOCUMENTS = Set.of(PDF, DOCX, XLSX, PPTX, HTML, XHTML, CSV);

    static final String ACCEPTED = "PDF, DOCX, XLSX, PPTX, HTML/XHTML, Markdown, CSV and plain text (text/*)";

    /** Sniffs the file's type; refuses encrypted Office files and types Parley does not read. */
    static DocumentType of(Detector detector, Path file, String fileName) {
        MediaType sniffed;
        try (TikaInputStream in = TikaInputStream.get(file)) {
            // no resource name in the metadata: the name must not turn a plain zip into "DOCX"
            sniffed = detector.detect(in, new Metadata()).getBaseType();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the uploaded file " + file, e);
        }
        if (sniffed.equals(MediaType.TEXT_PLAIN)) {
            sniffed = refineByName(fileName);
        }
        if (sniffed.equals(OOXML_PROTECTED)) {
            throw ExtractionFailure.encrypted(fileName);
        }
        if (DOCUMENTS.contains(sniffed)) {
            return new DocumentType(sniffed, sniffed);
        }
        if (sniffed.getType().equals("text")) {
            // Markdown and any other text/* (source code, logs): read as the plain text it is
            return new DocumentType(sniffed, MediaType.TEXT_PLAIN);
        }
        throw new ApiError(415, "The file '" + fileName + "' is " + sniffed + " (sniffed from its content); "
                + "Parley reads " + ACCEPTED + ".", "file", "unsupported_file_type");
    }

    private static MediaType refineByName(String fileName) {
        String name = fileName == null ? "" : fileName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".md") || name.endsWith(".markdown")) {
            return MARKDOWN;
        }
        return MediaType.TEXT_PLAIN;
    }
}
