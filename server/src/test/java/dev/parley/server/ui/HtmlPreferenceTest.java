package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HtmlPreferenceTest {

    @Test
    void browsersNameHtml() {
        assertTrue(HtmlPreference.prefersHtml("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"));
        assertTrue(HtmlPreference.prefersHtml("application/xhtml+xml"));
        assertTrue(HtmlPreference.prefersHtml("TEXT/HTML"));
    }

    @Test
    void scriptsAndWildcardsKeepTheJsonIndex() {
        assertFalse(HtmlPreference.prefersHtml(null));
        assertFalse(HtmlPreference.prefersHtml(""));
        assertFalse(HtmlPreference.prefersHtml("*/*"), "curl");
        assertFalse(HtmlPreference.prefersHtml("text/*"));
        assertFalse(HtmlPreference.prefersHtml("application/json"));
        assertFalse(HtmlPreference.prefersHtml("application/json, text/html;q=0.5"), "JSON preferred");
        assertFalse(HtmlPreference.prefersHtml("text/html;q=0"), "HTML refused");
        assertFalse(HtmlPreference.prefersHtml("text/html;q=abc"), "a malformed quality is no preference");
        assertFalse(HtmlPreference.prefersHtml("text/html;q=7"));
    }

    @Test
    void equalQualitiesGoToThePage() {
        assertTrue(HtmlPreference.prefersHtml("application/json, text/html"));
        assertTrue(HtmlPreference.prefersHtml("application/json;q=0.4, text/html;q=0.9"));
    }
}
