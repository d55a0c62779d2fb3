package dev.parley.server.files;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.PDEmbeddedFilesNameTreeNode;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.poi.poifs.crypt.EncryptionInfo;
import org.apache.poi.poifs.crypt.EncryptionMode;
import org.apache.poi.poifs.crypt.Encryptor;
import org.apache.poi.poifs.filesystem.POIFSFileSystem;
import org.apache.poi.xslf.usermodel.XMLSlideShow;
import org.apache.poi.poifs.crypt.EncryptionInfo;
import org.apache.poi.poifs.crypt.EncryptionMode;
import org.apache.poi.poifs.crypt.Encryptor;
import org.apache.poi.poifs.filesystem.POIFSFileSystem;
import org.apache.poi.xslf.usermodel.XSLFTextBox;
import org.apache.poi.xssf.usermodel.XSSFSheet;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/**
 * Documents written in the tests (PDFBox, POI, hand-built zips), so no binary file is committed. Reused by
 * the HTTP tests for file uploads.
 */
public final class TestDocuments {

    private TestDocuments() {
    }

    /** A one-page PDF with a text layer: each line in Helvetica (one of the Standard 14 fonts). */
    public static byte[] pdf(String... lines) {
        try (PDDocument document = new PDDocument()) {
            PDPage page = new PDPage();
            document.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                content.beginText();
                content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                content.newLineAtOffset(72, 720);
                for (String line : lines) {
                    content.showText(line);
                    content.newLineAtOffset(0, -16);
                }
                content.endText();
            }
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] docx(String... paragraphs) {
        try (XWPFDocument document = new XWPFDocument()) {
            for (String paragraph : paragraphs) {
                document.createParagraph().createRun().setText(paragraph);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            document.write(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One sheet; each inner array a row of string cells. */
    public static byte[] xlsx(String[][] rows) {
        try (XSSFWorkbook workbook = new XSSFWorkbook()) {
            XSSFSheet sheet = workbook.createSheet("Sheet1");
            for (int r = 0; r < rows.length; r++) {
                var row = sheet.createRow(r);
                for (int c = 0; c < rows[r].length; c++) {
                    row.createCell(c).setCellValue(rows[r][c]);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            workbook.write(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One slide per text, each with a text box. */
    public static byte[] pptx(String... slideTexts) {
        try (XMLSlideShow show = new XMLSlideShow()) {
            for (String text : slideTexts) {
                XSLFTextBox box = show.createSlide().createTextBox();
                box.setAnchor(new java.awt.Rectangle(50, 50, 600, 100));
                box.setText(text);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            show.write(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A PDF with a text layer and a text file attached to it (an embedded document). */
    public static byte[] pdfWithAttachment(String text, String attachmentText) {
        try (PDDocument document = Loader.loadPDF(pdf(text))) {
            PDEmbeddedFile embedded = new PDEmbeddedFile(document,
                    new ByteArrayInputStream(attachmentText.getBytes(StandardCharsets.UTF_8)));
            embedded.setSubtype("text/plain");
            PDComplexFileSpecification spec = new PDComplexFileSpecification();
            spec.setFile("attachment.txt");
            spec.setEmbeddedFile(embedded);
            PDEmbeddedFilesNameTreeNode files = new PDEmbeddedFilesNameTreeNode();
            files.setNames(Map.of("attachment.txt", spec));
            PDDocumentNameDictionary names = new PDDocumentNameDictionary(document.getDocumentCatalog());
            names.setEmbeddedFiles(files);
            document.getDocumentCatalog().setNames(names);
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A PDF that needs the user password "secret" to open (AES-128). */
    public static byte[] encryptedPdf(String text) {
        try (PDDocument document = Loader.loadPDF(pdf(text))) {
            StandardProtectionPolicy policy =
                    new StandardProtectionPolicy("owner-password", "secret", new AccessPermission());
            policy.setEncryptionKeyLength(128);
            document.protect(policy);
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A DOCX encrypted with a password to open ("secret", agile encryption), as Word saves one. */
    public static byte[] encryptedDocx(String... paragraphs) {
        try (POIFSFileSystem fs = new POIFSFileSystem()) {
            Encryptor encryptor = new EncryptionInfo(EncryptionMode.agile).getEncryptor();
            encryptor.confirmPassword("secret");
            try (OutputStream data = encryptor.getDataStream(fs)) {
                data.write(docx(paragraphs));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            fs.writeFilesystem(out);
            return out.toByteArray();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A page that only draws an image (as a scan would): no text layer at all. */
    public static byte[] imageOnlyPdf() {
        try (PDDocument document = new PDDocument()) {
            PDPage page = new PDPage();
            document.addPage(page);
            BufferedImage scan = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = scan.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 200, 100);
            g.setColor(Color.BLACK);
            g.fillRect(20, 40, 160, 8); // a "line of text", as pixels
            g.dispose();
            PDImageXObject image = LosslessFactory.createFromImage(document, scan);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                content.drawImage(image, 72, 600, 200, 100);
            }
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes of inflated word/document.xml in {@link #zipBombDocx()}. */
    public static final long ZIP_BOMB_INFLATED_BYTES = 400L << 20;

    /**
     * A DOCX whose word/document.xml inflates to 400 MB of one paragraph's text while the zip is about
     * 400 KB. Built without deflating 400 MB: with a full flush a deflate block does not depend on what
     * came before, so one compressed 1 MB chunk is repeated, and the zip is written by hand around it.
     */
    public static byte[] zipBombDocx() {
        byte[] head = (DOCUMENT_XML_HEAD + "<w:p><w:r><w:t>").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("</w:t></w:r></w:p>" + DOCUMENT_XML_TAIL).getBytes(StandardCharsets.UTF_8);
        byte[] chunk = "lorem ipsum ".repeat((1 << 20) / 12 + 1).substring(0, 1 << 20).getBytes(StandardCharsets.UTF_8);
        int repeats = (int) (ZIP_BOMB_INFLATED_BYTES / chunk.length);

        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] headDeflated = deflate(deflater, head, Deflater.FULL_FLUSH);
        byte[] chunkDeflated = deflate(deflater, chunk, Deflater.FULL_FLUSH);
        deflater.setInput(tail);
        deflater.finish();
        byte[] tailDeflated = drain(deflater, Deflater.NO_FLUSH);
        deflater.end();

        CRC32 crc = new CRC32();
        crc.update(head);
        for (int i = 0; i < repeats; i++) {
            crc.update(chunk);
        }
        crc.update(tail);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(headDeflated);
        for (int i = 0; i < repeats; i++) {
            data.writeBytes(chunkDeflated);
        }
        data.writeBytes(tailDeflated);
        long inflated = head.length + (long) repeats * chunk.length + tail.length;

        HandWrittenZip zip = new HandWrittenZip();
        zip.deflated("[Content_Types].xml", CONTENT_TYPES.getBytes(StandardCharsets.UTF_8));
        zip.deflated("_rels/.rels", RELS.getBytes(StandardCharsets.UTF_8));
        zip.raw("word/document.xml", data.toByteArray(), inflated, crc.getValue());
        return zip.finish();
    }

    /**
     * A DOCX whose body nests {@code depth} custom-XML elements, each with a random attribute so that the
     * XML does not compress like a zip bomb (about 50 bytes a level): deep, large and honest about its size.
     */
    public static byte[] deeplyNestedDocx(int depth) {
        Random random = new Random(14);
        StringBuilder xml = new StringBuilder(DOCUMENT_XML_HEAD.length() + depth * 56);
        xml.append(DOCUMENT_XML_HEAD);
        HexFormat hex = HexFormat.of();
        byte[] id = new byte[8];
        for (int i = 0; i < depth; i++) {
            random.nextBytes(id);
            xml.append("<w:customXml w:element=\"e").append(hex.formatHex(id)).append("\">");
        }
        xml.append("<w:p><w:r><w:t>bottom of the nest</w:t></w:r></w:p>");
        xml.append("</w:customXml>".repeat(depth));
        xml.append(DOCUMENT_XML_TAIL);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(Deflater.BEST_SPEED);
            entry(zip, "[Content_Types].xml", CONTENT_TYPES);
            entry(zip, "_rels/.rels", RELS);
            entry(zip, "word/document.xml", xml.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** HTML whose body nests {@code depth} divs around one word (about 11 bytes a level). */
    public static byte[] nestedHtml(int depth) {
        String html = "<!DOCTYPE html><html><head><title>nest</title></head><body>" + "<div>".repeat(depth)
                + "deep" + "</div>".repeat(depth) + "</body></html>";
        return html.getBytes(StandardCharsets.UTF_8);
    }

    /** A PDF header followed by garbage: no objects, no cross-reference table, no trailer. */
    public static byte[] malformedPdf() {
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(garbage);
        return out.toByteArray();
    }

    /** A zip that holds a text file and nothing of OOXML's structure. */
    public static byte[] plainZip() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            entry(zip, "notes.txt", "these are notes, zipped");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static final String CONTENT_TYPES = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/word/document.xml" \
            ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
            </Types>""";

    static final String RELS = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" \
            Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
            Target="word/document.xml"/></Relationships>""";

    private static final String DOCUMENT_XML_HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
            + "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>";
    private static final String DOCUMENT_XML_TAIL = "</w:body></w:document>";

    private static void entry(ZipOutputStream zip, String name, String content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
    }

    private static byte[] save(PDDocument document) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        document.save(out);
        return out.toByteArray();
    }

    private static byte[] deflate(Deflater deflater, byte[] input, int flush) {
        deflater.setInput(input);
        return drain(deflater, flush);
    }

    private static byte[] drain(Deflater deflater, int flush) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 << 10];
        while (true) {
            int n = deflater.deflate(buffer, 0, buffer.length, flush);
            out.write(buffer, 0, n);
            if (deflater.finished() || (n < buffer.length && deflater.needsInput())) {
                return out.toByteArray();
            }
        }
    }

    /** Just enough of the zip format to store already-deflated data (ZipOutputStream only deflates itself). */
    private static final class HandWrittenZip {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream directory = new ByteArrayOutputStream();
        private int entries;

        void deflated(String name, byte[] content) {
            Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            deflater.setInput(content);
            deflater.finish();
            byte[] data = drain(deflater, Deflater.NO_FLUSH);
            deflater.end();
            CRC32 crc = new CRC32();
            crc.update(content);
            raw(name, data, content.length, crc.getValue());
        }

        void raw(String name, byte[] deflatedData, long inflatedSize, long crc) {
            byte[] fileName = name.getBytes(StandardCharsets.UTF_8);
            int offset = out.size();
            int32(out, 0x04034b50);
            int16(out, 20); // version needed
            int16(out, 0); // flags
            int16(out, 8); // deflate
            int16(out, 0); // time
            int16(out, 0x21); // date: 1980-01-01
            int32(out, (int) crc);
            int32(out, deflatedData.length);
            int32(out, (int) inflatedSize);
            int16(out, fileName.length);
            int16(out, 0);
            out.writeBytes(fileName);
            out.writeBytes(deflatedData);

            int32(directory, 0x02014b50);
            int16(directory, 20); // made by
            int16(directory, 20); // needed
            int16(directory, 0);
            int16(directory, 8);
            int16(directory, 0);
            int16(directory, 0x21);
            int32(directory, (int) crc);
            int32(directory, deflatedData.length);
            int32(directory, (int) inflatedSize);
            int16(directory, fileName.length);
            int16(directory, 0); // extra
            int16(directory, 0); // comment
            int16(directory, 0); // disk
            int16(directory, 0); // internal attributes
            int32(directory, 0); // external attributes
            int32(directory, offset);
            directory.writeBytes(fileName);
            entries++;
        }

        byte[] finish() {
            int directoryOffset = out.size();
            out.writeBytes(directory.toByteArray());
            int32(out, 0x06054b50);
            int16(out, 0);
            int16(out, 0);
            int16(out, entries);
            int16(out, entries);
            int32(out, directory.size());
            int32(out, directoryOffset);
            int16(out, 0);
            return out.toByteArray();
        }

        private static void int16(ByteArrayOutputStream out, int value) {
            out.write(value & 0xff);
            out.write((value >>> 8) & 0xff);
        }

        private static void int32(ByteArrayOutputStream out, int value) {
            int16(out, value & 0xffff);
            int16(out, (value >>> 16) & 0xffff);
        }
    }
}
