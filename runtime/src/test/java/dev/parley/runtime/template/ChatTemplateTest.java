package dev.parley.runtime.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    private static final List<Map<String, Object>> HELLO = List.of(Map.of("role", "user", "content", "hi"));

    private static String render(String source, Map<String, ?> vars) {
        return ChatTemplate.compile("t.jinja", source).render(vars);
    }

    @Test
    void raiseExceptionStopsRenderingWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.compile("strict.jinja", "before{{ raise_exception('Only user and assistant roles are supported!') }}after");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(Map.of()));
        assertEquals("chat template strict.jinja: Only user and assistant roles are supported!", e.getMessage());
        assertEquals("strict.jinja", e.templateName());
    }

    @Test
    void aSyntaxErrorNamesTheTemplate() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.compile("broken.jinja", "{% for m in messages %}{{ m.content }"));
        assertTrue(e.getMessage().startsWith("chat template broken.jinja: does not compile"), e.getMessage());
    }

    @Test
    void strftimeNowReadsTheClock() {
        Clock clock = Clock.fixed(Instant.parse("2025-07-04T10:00:00Z"), ZoneOffset.UTC);
        assertEquals("04 Jul 2025 / Friday", ChatTemplate.compile("d", "{{ strftime_now('%d %b %Y') }} / {{ strftime_now('%A') }}", clock).render(Map.of()));
    }

    @Test
    void tojsonSpacesAsPythonsJsonDumps() {
        Map<String, Object> v = Map.of("x", Map.of("a", List.of(1, 2.5, true), "ü", "é\n"));
        String out = render("{{ x | tojson }}|{{ x | tojson(indent=2) }}", v);
        assertTrue(out.startsWith("{\""), out);
        assertTrue(out.contains("\"a\": [1, 2.5, true]"), out);
        assertTrue(out.contains("\"ü\": \"é\\n\""), out);
        assertTrue(out.contains("{\n  \""), out);
    }

    @Test
    void pythonStringMethodsHavePythonSemantics() {
        assertEquals("['a', 'b', '']|ab|x|True|Hello World", render(
                "{{ 'a</t>b</t>'.split('</t>') }}|{{ '  ab\\n'.strip() }}|{{ 'xyy'.rstrip('y') }}|{{ 'abc'.startswith(('z', 'a')) }}|{{ 'hello world'.title() }}",
                Map.of()));
    }

    @Test
    void undefinedVariablesPrintNothingAndNoneLoopsRaise() {
        assertEquals("[]", render("[{{ nothing }}]", Map.of()));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.compile("tools.jinja", "{% for t in tools %}{{ t }}{% endfor %}").render(new java.util.HashMap<>(Map.of("x", 1)) {
                    {
                        put("tools", null);
                    }
                }));
        assertTrue(e.getMessage().contains("'NoneType' object is not iterable"), e.getMessage());
        assertEquals("", render("{% for t in tools %}{{ t }}{% endfor %}", Map.of()));
    }

    @Test
    void aRenderIsIndependentOfThePrevious() {
        ChatTemplate t = ChatTemplate.compile("ns", "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
        assertEquals("1", t.render(Map.of("messages", HELLO)));
        assertEquals("1", t.render(Map.of("messages", HELLO)));
    }

    @Test
    void anOverrideFileIsValidatedWhenLoaded(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path good = java.nio.file.Files.writeString(dir.resolve("good.jinja"),
                "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}\n");
        assertTrue(ChatTemplate.fromFile(good).render(Map.of("messages", HELLO, "add_generation_prompt", true)).endsWith("<user>hi<assistant>"));

        java.nio.file.Path noSystem = java.nio.file.Files.writeString(dir.resolve("nosystem.jinja"),
                "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromFile(noSystem));
        assertEquals("chat template " + noSystem + ": System role not supported", e.getMessage());

        ChatTemplateException missing = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromFile(dir.resolve("nope.jinja")));
        assertTrue(missing.getMessage().contains("nope.jinja") && missing.getMessage().contains("cannot read"), missing.getMessage());
    }
}
