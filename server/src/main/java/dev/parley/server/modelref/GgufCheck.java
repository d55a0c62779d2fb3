package dev.parley.server.modelref;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Reads a GGUF's header, metadata and tensor table (no tensor data) and checks that the file is long enough for
 * every tensor it declares: a non-GGUF or a cut-off download is refused in Java, before llama.cpp maps it. It reads
 * through a small buffer rather than a mapping, so the file is closed when the check returns (a mapping would
 * keep it open until a garbage collection).
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
            Reader in = new Reader(ch);
            if (size < 24 || in.i32() != MAGIC) {
                throw new ModelReferenceException(file + " is not a GGUF file (no GGUF magic at its start)");
            }
            int version = in.i32();
            if (version < 2 || version > 3) {
                throw new ModelReferenceException(file + ": unsupported GGUF version " + version);
            }
            long tensors = in.i64();
            long kvs = in.i64();
            long alignment = 32;
            for (long i = 0; i < kvs; i++) {
                String key = in.string();
                int type = in.i32();
                if (key.equals("general.alignment") && type == 4) {
                    alignment = Integer.toUnsignedLong(in.i32());
                } else {
                    skip(in, type);
                }
            }
            long end = 0;
            for (long i = 0; i < tensors; i++) {
                in.skipString();
                int dims = in.i32();
                long elements = 1;
                for (int d = 0; d < dims; d++) {
                    elements = Math.multiplyExact(elements, in.i64());
                }
                int type = in.i32();
                long offset = in.i64();
                long[] ts = TYPE_SIZES.get(type);
                end = Math.max(end, offset + (ts == null ? 1 : elements / ts[1] * ts[0]));
            }
            long dataStart = alignment <= 0 ? in.position() : (in.position() + alignment - 1) / alignment * alignment;
            if (tensors > 0 && dataStart + end > size) {
                throw new ModelReferenceException(file + " is truncated: its tensors need " + (dataStart + end) + " bytes, the file has " + size);
            }
        } catch (ModelReferenceException e) {
            throw e;
        } catch (EOFException | IllegalArgumentException | ArithmeticException e) {
            throw new ModelReferenceException(file + " is truncated or corrupt (its GGUF header ends early)");
        } catch (IOException e) {
            throw new ModelReferenceException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static void skip(Reader in, int type) throws IOException {
        switch (type) {
            case 0, 1, 7 -> in.skip(1);
            case 2, 3 -> in.skip(2);
            case 4, 5, 6 -> in.skip(4);
            case 10, 11, 12 -> in.skip(8);
            case 8 -> in.skipString();
            case 9 -> {
                int element = in.i32();
                long n = in.i64();
                if (n < 0) {
                    throw new EOFException();
                }
                int fixed = switch (element) {
                    case 0, 1, 7 -> 1;
                    case 2, 3 -> 2;
                    case 4, 5, 6 -> 4;
                    case 10, 11, 12 -> 8;
                    default -> 0;
                };
                if (fixed > 0) {
                    in.skip(Math.multiplyExact(n, fixed));
                } else {
                    for (long i = 0; i < n; i++) {
                        skip(in, element);
                    }
                }
            }
            default -> throw new EOFException("unknown GGUF value type " + type);
        }
    }

    /** Little-endian reads through a 1 MiB window; running past the end is an EOFException. */
    private static final class Reader {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart;

        Reader(FileChannel ch) throws IOException {
            this.ch = ch;
            buf.limit(0);
        }

        long position() {
            return bufStart + buf.position();
        }

        private void need(int n) throws IOException {
            if (buf.remaining() >= n) {
                return;
            }
            long pos = position();
            buf.clear();
            bufStart = pos;
            while (buf.position() < n) {
                if (ch.read(buf, bufStart + buf.position()) < 0) {
                    throw new EOFException();
                }
            }
            buf.flip();
        }

        int i32() throws IOException {
            need(4);
            return buf.getInt();
        }

        long i64() throws IOException {
            need(8);
            return buf.getLong();
        }

        void skip(long n) throws IOException {
            long target = position() + n;
            if (n < 0 || target > ch.size()) {
                throw new EOFException();
            }
            if (n <= buf.remaining()) {
                buf.position(buf.position() + (int) n);
            } else {
                bufStart = target;
                buf.limit(0);
            }
        }

        String string() throws IOException {
            long len = i64();
            if (len < 0 || len > (1 << 20)) {
                throw new EOFException();
            }
            need((int) len);
            byte[] b = new byte[(int) len];
            buf.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        void skipString() throws IOException {
            skip(i64());
        }
    }
}
