package dev.parley.runtime.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.tree.Node;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template, compiled once and rendered per request the way transformers renders
 * it with jinja2: trim_blocks and lstrip_blocks, no trailing newline, loop controls, a no-op
 * {@code {% generation %}}, {@code raise_exception}, {@code strftime_now}, Python's {@code tojson},
 * and Python semantics for values, string methods and filters (see {@link PythonJinja}).
 */
public final class ChatTemplate {

    private final String name;
    private final String source;
    private final Node root;
    private final Clock clock;

    private ChatTemplate(String name, String source, Node root, Clock clock) {
        this.name = name;
        this.source = source;
        this.root = root;
        this.clock = clock;
    }

    /** Compiles {@code source}; a syntax error is a {@link ChatTemplateException} naming {@code name}. */
    public static ChatTemplate compile(String name, String source) {
        return compile(name, source, Clock.systemDefaultZone());
    }

    /** As {@link #compile(String, String)}, with the clock {@code strftime_now} reads. */
    public static ChatTemplate compile(String name, String source, Clock clock) {
        Jinjava jinjava = PythonJinja.engine();
        // jinja2 (keep_trailing_newline=False) drops one newline at the very end of the source.
        String body = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") || source.endsWith("\r") ? source.substring(0, source.length() - 1) : source;
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Node root = interpreter.parse(SourceRewriter.rewrite(body));
            PyTags.PyFor.splitElseBranches(root);
            List<TemplateError> errors = fatal(interpreter);
            if (!errors.isEmpty()) {
                throw new ChatTemplateException(name, "does not compile: " + describe(errors));
            }
            return new ChatTemplate(name, source, root, clock);
        } catch (RuntimeException e) {
            if (e instanceof ChatTemplateException) {
                throw e;
            }
            throw new ChatTemplateException(name, "does not compile: " + e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /**
     * Loads an operator's template override and validates it: it must compile and render a plain
     * conversation (system, user, assistant, user) without raising. Meant for startup, so a bad file
     * stops the server with a message naming it rather than failing the first request.
     */
    public static ChatTemplate fromFile(java.nio.file.Path file) {
        String source;
        try {
            source = java.nio.file.Files.readString(file);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new ChatTemplateException(file.toString(), "cannot read the file: " + e.getMessage());
        }
        ChatTemplate template = compile(file.toString(), source);
        template.render(Map.of(
                "messages", List.of(
                        Map.of("role", "system", "content", "You are a helpful assistant."),
                        Map.of("role", "user", "content", "Hello"),
                        Map.of("role", "assistant", "content", "Hi! How can I help?"),
                        Map.of("role", "user", "content", "Tell me a joke.")),
                "add_generation_prompt", true,
                "bos_token", "",
                "eos_token", ""));
        return template;
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /**
     * Renders with these variables ({@code messages}, {@code add_generation_prompt}, {@code tools},
     * {@code bos_token}, {@code enable_thinking}, ...). A template that raises, or fails the way jinja2
     * would fail, gives a {@link ChatTemplateException} with the template's message.
     */
    public String render(Map<String, ?> variables) {
        Jinjava jinjava = PythonJinja.engine();
        JinjavaConfig config = jinjava.getGlobalConfig();
        Map<String, Object> bindings = new HashMap<>();
        variables.forEach((k, v) -> bindings.put(k, PythonJinja.toTemplateValue(v)));
        Context context = new Context(jinjava.getGlobalContext(), bindings, config.getDisabled());
        JinjavaInterpreter interpreter = new PyInterpreter(jinjava, context, config);
        java.util.Set<String> none = new java.util.HashSet<>();
        variables.forEach((k, v) -> {
            if (v == null) {
                none.add(k);
            }
        });
        PythonJinja.RenderState state = PythonJinja.begin(clock, none);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(root);
            if (state.raised() != null) {
                throw new ChatTemplateException(name, state.raised());
            }
            List<TemplateError> errors = fatal(interpreter);
            if (!errors.isEmpty()) {
                throw new ChatTemplateException(name, describe(errors));
            }
            return out;
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            if (state.raised() != null) {
                throw new ChatTemplateException(name, state.raised());
            }
            throw new ChatTemplateException(name, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
            PythonJinja.end();
        }
    }

    private static List<TemplateError> fatal(JinjavaInterpreter interpreter) {
        return interpreter.getErrorsCopy().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
                .toList();
    }

    private static String describe(List<TemplateError> errors) {
        TemplateError first = errors.getFirst();
        String where = first.getLineno() > 0 ? " (line " + first.getLineno() + ")" : "";
        return first.getMessage() + where + (errors.size() > 1 ? " and " + (errors.size() - 1) + " more" : "");
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + name + "]";
    }
}
