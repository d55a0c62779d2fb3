package dev.parley.server.files;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.http.BodyReading;
import dev.parley.server.threads.DiskFull;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.core.ParameterParser;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * Reads a file upload to disk, never to the heap, refusing more than the size limit as soon as it is
 * passed: {@code multipart/form-data} with the file in the part {@code file} (as OpenAI's clients send
 * it; a {@code purpose} field is accepted and ignored), or the raw bytes as the body with the name in
 * {@code ?filename=} or a {@code Content-Disposition} header. The upload must finish within the body timeout.
 */
public final class UploadReader {

    /** Longest file name kept (longer ones are refused). */
    static final int MAX_NAME = 255;

    private static final System.Logger LOG = System.getLogger("parley.files");

    private final long maxBytes;
    private final Path spoolDir;
    /** Whether the last spool failed for a full disk (cleared by the next one that succeeds). */
    private volatile boolean full;

    public UploadReader(long maxBytes, Path spoolDir) {
        this.maxBytes = maxBytes;
        this.spoolDir = spoolDir;
        try {
            Files.createDirectories(spoolDir);
            // uploads a crash left behind
            try (var old = Files.newDirectoryStream(spoolDir, "upload-*.part")) {
                for (Path p : old) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the upload directory " + spoolDir, e);
        }
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Upload read(ServerRequest req) {
        long declared = req.headers().contentLength().orElse(-1);
        String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        boolean multipart = contentType.toLowerCase(Locale.ROOT).startsWith("multipart/");
        // A multipart body carries a little more than the file: boundaries, part headers, small fields.
        if (declared > maxBytes + (multipart ? 64 * 1024 : 0)) {
            throw tooLarge();
        }
        BodyReading reading = BodyReading.of(req);
        reading.started();
        try {
            return multipart ? multipart(req, contentType, declared) : raw(req);
        } catch (FileUploadSizeException e) {
            throw tooLarge();
        } catch (FileUploadException e) {
            throw ApiError.badRequest("file", "the multipart/form-data body is malformed: " + e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            if (e.getCause() instanceof ApiError a) {
                throw a;
            }
            throw new ApiError(400, "could not read the upload: the connection failed", null);
        } catch (ApiError e) {
            throw e;
        } catch (RuntimeException e) {
            // Helidon reports bad chunk sizes and the like as runtime exceptions whose text is not for the client
            throw new ApiError(400, "could not read the upload: its framing (Content-Length or chunked encoding) is malformed", null);
        } finally {
            reading.ended();
        }
    }

    private Upload raw(ServerRequest req) throws IOException {
        String name = req.query().contains("filename") ? req.query().get("filename") : null;
        if (name == null) {
            name = req.headers().first(HeaderNames.CONTENT_DISPOSITION).map(UploadReader::dispositionName).orElse(null);
        }
        if (name == null || name.isBlank()) {
            throw ApiError.badRequest("filename", "name the file: send it as multipart/form-data (field 'file'), or the raw bytes "
                    + "with ?filename=NAME or a 'Content-Disposition: attachment; filename=\"NAME\"' header");
        }
        try (InputStream in = req.content().inputStream()) {
            return spool(in, checkedName(name));
        }
    }

    private Upload multipart(ServerRequest req, String contentType, long declared) throws IOException {
        Parts parts = new Parts();
        parts.setSizeMax(maxBytes + 64 * 1024);
        parts.setFileSizeMax(maxBytes);
        FileItemInputIterator it = parts.getItemIterator(new Context(req, contentType, declared));
        Upload upload = null;
        try {
            while (it.hasNext()) {
                FileItemInput item = it.next();
                String field = item.getFieldName();
                if ("file".equals(field) && !item.isFormField()) {
                    if (upload != null) {
                        throw ApiError.badRequest("file", "send one file per upload (the body has more than one 'file' part)");
                    }
                    String name = item.getName();
                    if (name == null || name.isBlank()) {
                        throw ApiError.badRequest("file", "the 'file' part has no filename in its Content-Disposition");
                    }
                    try (InputStream in = item.getInputStream()) {
                        upload = spool(in, checkedName(name));
                    }
                } else if ("purpose".equals(field) && item.isFormField()) {
                    try (InputStream in = item.getInputStream()) {
                        in.readNBytes(1024); // OpenAI's clients send one; every file here serves as conversation context
                    }
                } else {
                    throw ApiError.badRequest(Echo.text(String.valueOf(field)), "unknown form field '" + Echo.text(String.valueOf(field))
                            + "': send the file in the field 'file'");
                }
            }
        } catch (RuntimeException | IOException e) {
            if (upload != null) {
                upload.close();
            }
            throw e;
        }
        if (upload == null) {
            throw ApiError.badRequest("file", "the form has no 'file' part with the file");
        }
        return upload;
    }

    /** Copies the stream to a spool file, hashing it, and stops at the first byte over the limit. */
    private Upload spool(InputStream in, String name) throws IOException {
        Path file = spoolFile();
        MessageDigest sha = sha256();
        long total = 0;
        boolean ok = false;
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] chunk = new byte[64 * 1024];
            int n;
            while ((n = in.read(chunk)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge();
                }
                sha.update(chunk, 0, n);
                try {
                    out.write(chunk, 0, n);
                } catch (IOException e) {
                    throw spoolFailed(e);
                }
            }
            ok = true;
        } catch (IOException e) {
            // closing flushes the last bytes: a full disk may show only here
            throw spoolFailed(e);
        } finally {
            if (!ok) {
                Files.deleteIfExists(file);
            }
        }
        full = false;
        return new Upload(file, name, total, HexFormat.of().formatHex(sha.digest()));
    }

    private Path spoolFile() throws IOException {
        try {
            return Files.createTempFile(spoolDir, "upload-", ".part");
        } catch (IOException e) {
            throw spoolFailed(e);
        }
    }

    /** A write to the spool failed: for a full disk a 507 naming the directory, otherwise the failure as it was. */
    private IOException spoolFailed(IOException e) {
        if (!DiskFull.is(e)) {
            return e;
        }
        if (!full) {
            full = true;
            LOG.log(System.Logger.Level.WARNING, "the upload directory's disk is full (" + spoolDir + "): uploads answer 507 until space is freed");
        }
        throw ApiError.insufficientStorage("cannot store the upload: the disk holding the data directory " + spoolDir.toAbsolutePath().getParent()
                + " is full, so nothing was stored; free space there and retry");
    }

    /** Whether the last upload could not be spooled for a full disk and the spool's disk still has under 1 MiB free. */
    public boolean full() {
        if (full) {
            try {
                full = Files.getFileStore(spoolDir).getUsableSpace() < 1 << 20;
            } catch (IOException e) {
                // keep what the last upload said
            }
        }
        return full;
    }

    private ApiError tooLarge() {
        return new ApiError(413, "the file is larger than this server accepts (" + maxBytes + " bytes; --file-max-size)", "file", "file_too_large");
    }

    /** The last path segment of a client's file name, which must be printable and at most {@link #MAX_NAME} characters. */
    static String checkedName(String name) {
        String base = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).strip();
        if (base.isEmpty() || base.length() > MAX_NAME || base.chars().anyMatch(Character::isISOControl)) {
            throw ApiError.badRequest("filename", "the file name must be 1 to " + MAX_NAME + " printable characters, got '" + Echo.text(name) + "'");
        }
        return base;
    }

    private static String dispositionName(String header) {
        ParameterParser p = new ParameterParser();
        p.setLowerCaseNames(true);
        Map<String, String> params = p.parse(header, ';');
        String star = params.get("filename*");
        if (star != null) {
            int quote = star.indexOf("''");
            if (quote > 0) {
                return java.net.URLDecoder.decode(star.substring(quote + 2).replace("+", "%2B"), StandardCharsets.UTF_8);
            }
        }
        return params.get("filename");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Commons FileUpload's streaming parser over a Helidon request. */
    private static final class Parts extends AbstractFileUpload<ServerRequest, DiskFileItem, DiskFileItemFactory> {
        @Override
        public FileItemInputIterator getItemIterator(ServerRequest request) {
            throw new UnsupportedOperationException("use getItemIterator(RequestContext)");
        }

        @Override
        public Map<String, List<DiskFileItem>> parseParameterMap(ServerRequest request) {
            throw new UnsupportedOperationException("streaming only");
        }

        @Override
        public List<DiskFileItem> parseRequest(ServerRequest request) {
            throw new UnsupportedOperationException("streaming only");
        }
    }

    private record Context(ServerRequest req, String contentType, long declared) implements RequestContext {
        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public long getContentLength() {
            return declared;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public InputStream getInputStream() {
            return req.content().inputStream();
        }

        @Override
        public boolean isMultipartRelated() {
            return false;
        }
    }
}
