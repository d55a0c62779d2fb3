package dev.parley.server.files;

import dev.parley.server.api.ApiError;
import java.util.List;
import java.util.Locale;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaMemoryLimitException;
import org.apache.tika.exception.WriteLimitReachedException;
import org.apache.tika.exception.ZeroByteFileException;

/**
 * Turns whatever a parse threw into the refusal the client gets. Tika, POI and PDFBox wrap each other's
 * exceptions freely, so each rule looks through the whole cause chain; the first rule that matches wins,
 * and the order puts the most specific reasons first.
 */
final class ExtractionFailure {

    private ExtractionFailure() {
    }

    private static final System.Logger LOG = System.getLogger(ExtractionFailure.class.getName());

    static ApiError of(Throwable failure, String fileName, DocumentType type, TextExtraction.Limits limits) {
        if (inChain(failure, DeadlineContentHandler.DeadlineExceeded.class)) {
            return timeout(fileName, limits);
        }
        if (WriteLimitReachedException.isWriteLimitReached(failure)) {
            return tooLong(fileName, limits);
        }
        if (inChain(failure, OutOfMemoryError.class) || inChain(failure, StackOverflowError.class)
                || inChain(failure, TikaMemoryLimitException.class) || mentionsALimit(failure)) {
            return tooComplex(fileName);
        }
        if (inChain(failure, EncryptedDocumentException.class)
                || inChain(failure, org.apache.poi.EncryptedDocumentException.class)
                || inChain(failure, InvalidPasswordException.class)) {
            return encrypted(fileName);
        }
        if (inChain(failure, ZeroByteFileException.class)) {
            return empty(fileName);
        }
        if (failure instanceof Error) {
            // a library defect or a broken deployment, not the file's fault: logged, not shown
            LOG.log(System.Logger.Level.ERROR, "text extraction of '" + fileName + "' failed", failure);
            return new ApiError(500, "Text extraction failed unexpectedly for '" + fileName + "'.", "file",
                    "file_extraction_failed");
        }
        return malformed(fileName, type, rootMessage(failure));
    }

    static ApiError timeout(String fileName, TextExtraction.Limits limits) {
        return new ApiError(422, "Extracting the text of '" + fileName + "' took longer than "
                + limits.timeout().toMillis() + " ms; the document is too large or too complex.",
                "file", "file_extraction_timeout");
    }

    static ApiError tooLong(String fileName, TextExtraction.Limits limits) {
        return new ApiError(413, "The file '" + fileName + "' has more than " + limits.maxTextChars()
                + " characters of text; split it or upload a shorter document.", "file", "file_text_too_long");
    }

    static ApiError encrypted(String fileName) {
        return new ApiError(422, "The file '" + fileName + "' is encrypted (password-protected); remove the "
                + "password and upload it again.", "file", "file_encrypted");
    }

    static ApiError empty(String fileName) {
        return new ApiError(400, "The file '" + fileName + "' is empty (0 bytes).", "file", "file_empty");
    }

    static ApiError noText(String fileName, DocumentType type) {
        String why = type.sniffed().equals(DocumentType.PDF)
                ? "is a PDF without a text layer (scanned or image-only pages); Parley does not run OCR, so "
                        + "run OCR on it first or upload a PDF with selectable text"
                : "contains no text";
        return new ApiError(422, "The file '" + fileName + "' " + why + ".", "file", "file_no_text");
    }

    private static boolean inChain(Throwable failure, Class<? extends Throwable> kind) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (kind.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * What a parse that returned normally recorded as warnings: Tika's OOXML and PDF parsers catch a failing
     * part (the main document included), note its stack trace in the metadata and go on. A part refused as
     * a bomb refuses the whole file; other warnings matter only when no text came out at all.
     */
    static ApiError ofWarnings(List<String> warnings, boolean noText, String fileName, DocumentType type) {
        if (warnings.stream().anyMatch(ExtractionFailure::namesALimit)) {
            return tooComplex(fileName);
        }
        if (noText && !warnings.isEmpty()) {
            String firstLine = warnings.getFirst().lines().findFirst().orElse("");
            return malformed(fileName, type, firstLine.length() > 300 ? firstLine.substring(0, 300) + "..." : firstLine);
        }
        return null;
    }

    private static ApiError tooComplex(String fileName) {
        return new ApiError(422, "The file '" + fileName + "' is too complex to read safely (it inflates far beyond "
                + "its size, nests too deeply or needs too much memory).", "file", "file_too_complex");
    }

    private static ApiError malformed(String fileName, DocumentType type, String why) {
        return new ApiError(422, "The file '" + fileName + "' could not be read as " + type.sniffed()
                + " (damaged, truncated or not what its content claims to be): " + why, "file", "file_malformed");
    }

    private static boolean mentionsALimit(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && namesALimit(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Tika's SecureContentHandler ("Zip bomb detected!", "Suspected zip bomb: N levels of XML element
     * nesting"), POI's ZipSecureFile ("Zip bomb detected!", "potentially malicious" for too many entries) and the JDK's XML limits
     * (JAXP00010001 to ...07: entity expansion and sizes, element depth 100 since JDK 24) say so only in words.
     */
    private static boolean namesALimit(String message) {
        return message.toLowerCase(Locale.ROOT).contains("zip bomb") || message.contains("JAXP0001")
                || message.contains("potentially malicious"); // POI: more zip entries than allowed
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (message == null || message.isBlank()) {
            return root.getClass().getSimpleName();
        }
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
