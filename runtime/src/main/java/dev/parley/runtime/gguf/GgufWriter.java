package dev.parley.runtime.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata, tensor infos, then each tensor's data, aligned to 32 bytes.
 * Tensor data is produced by a {@link TensorSource} while writing, so large models never sit in memory.
 */
public final class GgufWriter {

    private static final int ALIGNMENT = 32;

    /** ggml element types the writer can produce. */
    public enum TensorType {
        F32(0, 4), F16(1, 2);

        final int ggmlType;
        final int bytes;

        TensorType(int ggmlType, int bytes) {
            this.ggmlType = ggmlType;
            this.bytes = bytes;
        }
    }

    /** Fills a tensor's values, in ggml order (the first dimension varies fastest). */
    @FunctionalInterface
    public interface TensorSource {
        /** Returns the next {@code n} values into {@code out[0..n)}. */
        void next(float[] out, int n);
    }

    /** A tensor to write: dims are ggml's ne[] (ne[0] innermost). */
    public record Tensor(String name, long[] dims, TensorType type, TensorSource source) {
        long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        long bytes() {
            return elements() * type.bytes;
        }
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter add(Tensor tensor) {
        tensors.add(tensor);
        return this;
    }

    public void write(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Out out = new Out(ch);
            out.i32(GgufFile.MAGIC).i32(3).i64(tensors.size()).i64(metadata.size());
            for (Map.Entry<String, GgufValue> kv : metadata.entrySet()) {
                out.str(kv.getKey());
                out.i32(kv.getValue().type().code);
                value(out, kv.getValue());
            }
            long offset = 0;
            for (Tensor t : tensors) {
                out.str(t.name()).i32(t.dims().length);
                for (long d : t.dims()) {
                    out.i64(d);
                }
                out.i32(t.type().ggmlType).i64(offset);
                offset = align(offset + t.bytes());
            }
            out.padTo(ALIGNMENT);
            float[] chunk = new float[1 << 16];
            for (Tensor t : tensors) {
                long left = t.elements();
                while (left > 0) {
                    int n = (int) Math.min(left, chunk.length);
                    t.source().next(chunk, n);
                    for (int i = 0; i < n; i++) {
                        if (t.type() == TensorType.F32) {
                            out.f32(chunk[i]);
                        } else {
                            out.i16(Float.floatToFloat16(chunk[i]));
                        }
                    }
                    left -= n;
                }
                out.padTo(ALIGNMENT);
            }
            out.flush();
        }
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void value(Out out, GgufValue v) throws IOException {
        if (v.type() == GgufValue.Type.ARRAY) {
            List<Object> items = v.list();
            out.i32(v.elementType().code).i64(items.size());
            for (Object item : items) {
                scalar(out, v.elementType(), item);
            }
        } else {
            scalar(out, v.type(), v.value());
        }
    }

    private static void scalar(Out out, GgufValue.Type type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.i8(((Number) v).byteValue());
            case UINT16, INT16 -> out.i16(((Number) v).shortValue());
            case UINT32, INT32 -> out.i32(((Number) v).intValue());
            case FLOAT32 -> out.f32(((Number) v).floatValue());
            case BOOL -> out.i8((byte) ((Boolean) v ? 1 : 0));
            case STRING -> out.str((String) v);
            case UINT64, INT64 -> out.i64(((Number) v).longValue());
            case FLOAT64 -> out.f64(((Number) v).doubleValue());
            case ARRAY -> throw new IllegalArgumentException("nested GGUF arrays are not supported");
        }
    }

    /** A little-endian buffered writer that knows its position. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Out(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        Out i8(byte v) throws IOException {
            room(1);
            buf.put(v);
            return this;
        }

        Out i16(short v) throws IOException {
            room(2);
            buf.putShort(v);
            return this;
        }

        Out i32(int v) throws IOException {
            room(4);
            buf.putInt(v);
            return this;
        }

        Out i64(long v) throws IOException {
            room(8);
            buf.putLong(v);
            return this;
        }

        Out f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
            return this;
        }

        Out f64(double v) throws IOException {
            room(8);
            buf.putDouble(v);
            return this;
        }

        Out str(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            for (int off = 0; off < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
            return this;
        }

        void padTo(int alignment) throws IOException {
            long pos = written + buf.position();
            long pad = (alignment - pos % alignment) % alignment;
            for (long i = 0; i < pad; i++) {
                i8((byte) 0);
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                written += ch.write(buf);
            }
            buf.clear();
        }
    }
}
