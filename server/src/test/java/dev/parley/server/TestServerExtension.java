package dev.parley.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts the servers that {@link ServerFlags} fields ask for. A shared one lives in the root context's store, keyed by
 * what was asked, and is closed when the whole run ends (the store closes what is {@link AutoCloseable}); an isolated
 * one lives in the class's store and is closed after the class. Sharing spans classes because surefire runs them all
 * in one JVM (one fork, reused, no parallel classes: server/pom.xml keeps the defaults).
 */
final class TestServerExtension implements BeforeAllCallback {

    private static final Namespace SERVERS = Namespace.create(TestServerExtension.class);

    /** What a server is started with: two fields asking for equal ones get the same server. */
    record Wanted(List<String> flags, String keys, ServerFlags.Model model) {

        static Wanted of(ServerFlags asked, Field field) {
            List<String> flags = List.of(asked.value());
            if (flags.contains("--model") || flags.contains("--api-keys-file")) {
                throw new ExtensionConfigurationException("@ServerFlags on " + field + ": name the model and the keys with model= and keys=");
            }
            return new Wanted(flags, asked.keys(), asked.model());
        }

        TestServer start() {
            List<String> args = new ArrayList<>(List.of("--model", model.path().toString()));
            if (!keys.isEmpty()) {
                try {
                    Path file = Files.writeString(Files.createTempFile("parley-keys", ".txt"), keys);
                    args.addAll(List.of("--api-keys-file", file.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            args.addAll(flags);
            return new TestServer(args.toArray(String[]::new));
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IllegalAccessException {
        for (Field field : AnnotationSupport.findAnnotatedFields(context.getRequiredTestClass(), ServerFlags.class, f -> true)) {
            if (!Modifier.isStatic(field.getModifiers()) || field.getType() != TestServer.class) {
                throw new ExtensionConfigurationException("@ServerFlags marks a static TestServer field, not " + field);
            }
            ServerFlags asked = field.getAnnotation(ServerFlags.class);
            if (!asked.isolated() && classesRunConcurrently(context)) {
                // a shared server's counters, slots and queue would be read by two classes at once
                throw new ExtensionConfigurationException("@ServerFlags servers are shared by classes that run one at a time: " + field);
            }
            Wanted wanted = Wanted.of(asked, field);
            // getOrComputeIfAbsent keeps this idempotent should the extension be registered once per marked field
            TestServer server = asked.isolated()
                    ? context.getStore(SERVERS).getOrComputeIfAbsent(field, f -> wanted.start(), TestServer.class)
                    : context.getRoot().getStore(SERVERS).getOrComputeIfAbsent(wanted, Wanted::start, TestServer.class);
            field.setAccessible(true);
            field.set(null, server);
        }
    }

    private static boolean classesRunConcurrently(ExtensionContext context) {
        return context.getConfigurationParameter("junit.jupiter.execution.parallel.enabled").map(Boolean::parseBoolean).orElse(false)
                && context.getConfigurationParameter("junit.jupiter.execution.parallel.mode.classes.default").orElse("same_thread").equals("concurrent");
    }
}
