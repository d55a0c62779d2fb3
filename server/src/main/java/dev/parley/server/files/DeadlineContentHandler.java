package dev.parley.server.files;

import org.apache.tika.sax.ContentHandlerDecorator;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;

/**
 * Stops a parse cooperatively once its deadline has passed or its thread was interrupted: every SAX event
 * checks the clock first. Parsers that emit events steadily end promptly and free their memory; one stuck
 * between events is left to the hard deadline in {@link TextExtraction}.
 */
final class DeadlineContentHandler extends ContentHandlerDecorator {

    /** Thrown through the parser when the deadline passes; recognised again in the cause chain. */
    static final class DeadlineExceeded extends SAXException {
        DeadlineExceeded() {
            super("text extraction ran past its deadline");
        }
    }

    private final long deadlineNanos;
    private final Runnable onEvent;

    /** {@code onEvent} runs before each check (a test hook: a slow or stuck parser); normally a no-op. */
    DeadlineContentHandler(ContentHandler handler, long deadlineNanos, Runnable onEvent) {
        super(handler);
        this.deadlineNanos = deadlineNanos;
        this.onEvent = onEvent;
    }

    private void check() throws SAXException {
        onEvent.run();
        if (System.nanoTime() - deadlineNanos > 0 || Thread.currentThread().isInterrupted()) {
            throw new DeadlineExceeded();
        }
    }

    @Override
    public void startDocument() throws SAXException {
        check();
        super.startDocument();
    }

    @Override
    public void endDocument() throws SAXException {
        check();
        super.endDocument();
    }

    @Override
    public void startPrefixMapping(String prefix, String uri) throws SAXException {
        check();
        super.startPrefixMapping(prefix, uri);
    }

    @Override
    public void endPrefixMapping(String prefix) throws SAXException {
        check();
        super.endPrefixMapping(prefix);
    }

    @Override
    public void startElement(String uri, String localName, String name, Attributes atts) throws SAXException {
        check();
        super.startElement(uri, localName, name, atts);
    }

    @Override
    public void endElement(String uri, String localName, String name) throws SAXException {
        check();
        super.endElement(uri, localName, name);
    }

    @Override
    public void characters(char[] ch, int start, int length) throws SAXException {
        check();
        super.characters(ch, start, length);
    }

    @Override
    public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
        check();
        super.ignorableWhitespace(ch, start, length);
    }

    @Override
    public void processingInstruction(String target, String data) throws SAXException {
        check();
        super.processingInstruction(target, data);
    }

    @Override
    public void skippedEntity(String name) throws SAXException {
        check();
        super.skippedEntity(name);
    }
}
