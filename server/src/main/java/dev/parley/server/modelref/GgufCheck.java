package dev.parley.server.modelref;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Reads a GGUF's header, metadata and tensor table (no tensor data) and checks that the file is long enough for
 * every tensor it declares: a non-GGUF or a cut-off download is refused in Java, before llama.cpp maps it.
 */
public final class GgufCheck {

    private static final int MAGIC = 0x46554747; // "GGUF" as a little-endian int

    /** Bytes per block and elements per block of the ggml types whose layout is fixed; others are checked by offset only. */
    private static final Map<Integer, long[]> TYPE_SIZES = Map.ofEntries(
            Map.entry(0, new long[] {4, 1}), Map.entry(1, new long[] {2, 1}), Map.entry(30, new long[] {2, 1}),
            Map.entry(2, new long[] {18, 32}), Map.entry(3, new long[] {20, 32}), Map.entry(6, new long[] {22, 32}),
            Map.entry(7, new long[] {24, 32}), Map.entry(8, new long[] {34, 32}), Map.entry(9, new long[] {36, 32}),
            Map.entry(10, new long[] {84, 256}), Map.entry(11, new long[] {110, 256}), Map.entry(12, new long[] {144, 256}),
            Map.entry(13, new long[] {176, 256}), Map.entry(14, new long[] {210, 256}), Map.entry(15, new long[] {292, 256}),
            Map.entry(24, new long[] {1, 1}), Map.entry(25, new long[] {2, 1}), Map.entry(26, new long[] {4, 1}),
            Map.entry(27, new long[] {8, 1}), Map.entry(28, new long[] {8, 1}));

    private GgufCheck() {
    }

    /** Throws {@link ModelReferenceException} naming {@code file} and what is wrong with it. */
    public static void verify(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE)).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 24 || buf.getInt() != MAGIC) {
                throw new ModelReferenceException(file + " is not a GGUF file (no GGUF magic at its start)");
            }
            int version = buf.getInt();
            if (version < 2 || version > 3) {
                throw new ModelReferenceException(file + ": unsupported GGUF version " + version);
            }
            long tensors = buf.getLong();
            long kvs = buf.getLong();
            long alignment = 32;
            for (long i = 0; i < kvs; i++) {
                String key = string(buf);
                int type = buf.getInt();
                if (key.equals("general.alignment") && type == 4) {
                    alignment = Integer.toUnsignedLong(buf.getInt());
                } else {
                    skip(buf, type);
                }
            }
            long end = 0;
            for (long i = 0; i < tensors; i++) {
                string(buf);
                int dims = buf.getInt();
                long elements = 1;
                for (int d = 0; d < dims; d++) {
                    elements *= buf.getLong();
                }
                int type = buf.getInt();
                long offset = buf.getLong();
                long[] ts = TYPE_SIZES.get(type);
                end = Math.max(end, offset + (ts == null ? 1 : elements / ts[1] * ts[0]));
            }
            long dataStart = alignment <= 0 ? buf.position() : (buf.position() + alignment - 1) / alignment * alignment;
            if (tensors > 0 && dataStart + end > size) {
                throw new ModelReferenceException(file + " is truncated: its tensors need " + (dataStart + end) + " bytes, the file has " + size);
            }
        } catch (ModelReferenceException e) {
            throw e;
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException | ArithmeticException e) {
            throw new ModelReferenceException(file + " is truncated or corrupt (its GGUF header ends early)");
        } catch (IOException e) {
            throw new ModelReferenceException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String string(ByteBuffer buf) {
        long len = buf.getLong();
        if (len < 0 || len > buf.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] b = new byte[(int) len];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void skip(ByteBuffer buf, int type) {
        switch (type) {
            case 0, 1, 7 -> buf.position(buf.position() + 1);
            case 2, 3 -> buf.position(buf.position() + 2);
            case 4, 5, 6 -> buf.position(buf.position() + 4);
            case 10, 11, 12 -> buf.position(buf.position() + 8);
            case 8 -> string(buf);
            case 9 -> {
                int element = buf.getInt();
                long n = buf.getLong();
                if (n < 0 || n > buf.remaining()) {
                    throw new BufferUnderflowException();
                }
                for (long i = 0; i < n; i++) {
                    skip(buf, element);
                }
            }
            default -> throw new BufferUnderflowException();
        }
    }
}
