package dev.parley.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.modelref.ModelReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --model NAME=REF (repeated), --models-dir, --keep-alive and --models-max-loaded. */
class ModelsFlagsTest {

    @TempDir
    Path dir;

    @Test
    void oneBareModelIsTheSingleModelOfBefore() throws Exception {
        Path m = Files.writeString(dir.resolve("m.gguf"), "x");
        ServerConfig c = ServerConfig.load(new String[] {"--model", m.toString()}, Map.of());
        assertFalse(c.models().several());
        assertEquals(new ModelReference.LocalFile(m), c.model());
        assertEquals(Duration.ofMinutes(5), c.models().keepAlive());
        assertEquals(2, c.models().maxLoaded());
    }

    @Test
    void repeatedOrNamedModelsMakeACatalogWhoseFirstIsTheDefault() throws Exception {
        Path a = Files.writeString(dir.resolve("a.gguf"), "x");
        Path b = Files.writeString(dir.resolve("b.gguf"), "x");
        ServerConfig c = ServerConfig.load(new String[] {"--model", "first=" + b, "--model", a.toString(), "--keep-alive", "1h30m",
                "--models-max-loaded", "3"}, Map.of());
        assertTrue(c.models().several());
        assertEquals(List.of("first", "a"), c.models().catalog().names());
        assertEquals(new ModelReference.LocalFile(b), c.model());
        assertEquals(Duration.ofMinutes(90), c.models().keepAlive());
        assertEquals(3, c.models().maxLoaded());
        assertTrue(ServerConfig.load(new String[] {"--model", "only=" + a}, Map.of()).models().several());
        assertTrue(ServerConfig.load(new String[] {"--models-dir", dir.toString(), "--keep-alive", "-1"}, Map.of())
                .models().keepAlive().isNegative());
    }

    @Test
    void badModelsFlagsAreClearErrors() throws Exception {
        Path a = Files.writeString(dir.resolve("a.gguf"), "x");
        assertEquals("--keep-alive: expected a duration such as 5m, 1h30m, 300s or -1, got 'soon'",
                assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--model", a.toString(), "--keep-alive", "soon"}, Map.of()))
                        .getMessage());
        String missing = assertThrows(ConfigException.class,
                () -> ServerConfig.load(new String[] {"--model", "x=" + dir.resolve("none.gguf"), "--model", a.toString()}, Map.of())).getMessage();
        assertTrue(missing.startsWith("model x: no such file"), missing);
        Path empty = Files.createDirectory(dir.resolve("empty"));
        String none = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--models-dir", empty.toString()}, Map.of()))
                .getMessage();
        assertTrue(none.contains("no .gguf file there"), none);
    }
}
