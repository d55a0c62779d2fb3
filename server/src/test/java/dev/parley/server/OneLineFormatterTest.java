package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** A log message quoting a client's CR/LF stays one line: the characters are written as escapes. */
class OneLineFormatterTest {

    @Test
    void controlCharactersInAMessageCannotStartANewLine() {
        LogRecord r = new LogRecord(Level.INFO, "request 1 refused with 404: conversation a\r\n2026-01-01 00:00:00.000 WARNING forged\u2028x not found");
        r.setLoggerName("parley.api");
        String line = new OneLineFormatter().format(r);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("a\\u000d\\u000a2026-01-01"), line);
        assertTrue(line.contains("\\u2028x"), line);
    }

    @Test
    void stackTracesKeepTheirLines() {
        LogRecord r = new LogRecord(Level.WARNING, "failed");
        r.setThrown(new IllegalStateException("boom"));
        assertTrue(new OneLineFormatter().format(r).lines().count() > 2);
    }
}
