package dev.parley.server.files;

import java.io.InputStream;
import org.apache.tika.extractor.EmbeddedDocumentExtractor;
import org.apache.tika.metadata.Metadata;
import org.xml.sax.ContentHandler;

/**
 * Only a document's own text reaches the prompt: attachments, embedded workbooks, images and OLE objects
 * inside it are never opened (each would be another parser run, another format, another bomb).
 */
final class SkipEmbeddedDocuments implements EmbeddedDocumentExtractor {

    static final SkipEmbeddedDocuments INSTANCE = new SkipEmbeddedDocuments();

    private SkipEmbeddedDocuments() {
    }

    @Override
    public boolean shouldParseEmbedded(Metadata metadata) {
        return false;
    }

    @Override
    public void parseEmbedded(InputStream stream, ContentHandler handler, Metadata metadata, boolean outputHtml) {
        // never asked (shouldParseEmbedded is false); a parser that calls anyway gets nothing parsed
    }
}
