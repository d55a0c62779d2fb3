package dev.parley.bindgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator and the layout probe on a small header of their own. */
class BindGenTest {

    private static final String HEADER = """
            #include <stdbool.h>
            #include <stdint.h>
            #include <stddef.h>
            enum colour { RED, GREEN = 5, BLUE };
            struct pair { char tag; int64_t value; bool flag; };
            typedef void (*visit_cb)(int depth, const char * name, void * user);
            struct pair make_pair(int64_t value);
            size_t count_pairs(const struct pair * pairs, size_t n, enum colour c);
            """;

    @Test
    void generatesPaddedLayoutsDowncallsEnumsAndCallbacks(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("demo.h"), HEADER);
        Path specFile = Files.writeString(dir.resolve("demo.spec"), """
                package demo.gen
                class Demo
                lookup java.lang.foreign.SymbolLookup.loaderLookup()
                include-dir .
                header demo.h
                struct pair
                enum colour
                callback visit_cb
                function make_pair
                function count_pairs critical
                """);
        Map<String, String> out = BindGen.generate(Spec.parse(specFile), dir, "castxml");
        assertEquals(List.of("pair.java", "visit_cb.java", "Demo.java", "DemoStructs.java"), List.copyOf(out.keySet()));
        String pair = out.get("pair.java");
        assertTrue(pair.contains("ValueLayout.JAVA_BYTE.withName(\"tag\"),\n            MemoryLayout.paddingLayout(7),"), pair);
        assertTrue(pair.contains("ValueLayout.JAVA_BOOLEAN.withName(\"flag\"),\n            MemoryLayout.paddingLayout(7))"), pair);
        String demo = out.get("Demo.java");
        assertTrue(demo.contains("public static final int GREEN = 5;"), demo);
        assertTrue(demo.contains("public static final int BLUE = 6;"), demo);
        assertTrue(demo.contains("public static MemorySegment make_pair(SegmentAllocator allocator, long value)"), demo);
        assertTrue(demo.contains("public static long count_pairs(MemorySegment pairs, long n, int c)"), demo);
        assertTrue(demo.contains("Linker.Option.critical(false)"), demo);
        assertTrue(out.get("visit_cb.java").contains("void apply(int a0, MemorySegment a1, MemorySegment a2);"));
    }

    @Test
    void layoutProbeAgreesWithAGoodLayoutAndCatchesABadOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("demo.h"), HEADER);
        StructLayout good = MemoryLayout.structLayout(
                ValueLayout.JAVA_BYTE.withName("tag"), MemoryLayout.paddingLayout(7),
                ValueLayout.JAVA_LONG.withName("value"),
                ValueLayout.JAVA_BOOLEAN.withName("flag"), MemoryLayout.paddingLayout(7)).withName("pair");
        assertEquals(List.of(), LayoutProbe.mismatches(List.of("demo.h"), List.of(dir), List.of(good)));

        StructLayout bad = MemoryLayout.structLayout(
                ValueLayout.JAVA_BYTE.withName("tag"), MemoryLayout.paddingLayout(3),
                ValueLayout.JAVA_LONG.withByteAlignment(4).withName("value"),
                ValueLayout.JAVA_BOOLEAN.withName("flag"), MemoryLayout.paddingLayout(3)).withName("pair");
        List<String> problems = LayoutProbe.mismatches(List.of("demo.h"), List.of(dir), List.of(bad));
        assertEquals(List.of(
                "pair size: C says 24, Java layout says 16",
                "pair alignment: C says 8, Java layout says 4",
                "pair.value offset: C says 8, Java layout says 4",
                "pair.flag offset: C says 16, Java layout says 12"), problems);
    }
}
