package dev.parley.runtime.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The metadata of a GGUF file (header and key/values; tensor data is not read). */
public record GgufFile(int version, long tensorCount, Map<String, GgufValue> metadata) {

    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int

    public static GgufFile read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            if (buf.remaining() < 24 || buf.getInt() != MAGIC) {
                throw new IOException(path + " is not a GGUF file");
            }
            int version = buf.getInt();
            if (version < 2 || version > 3) {
                throw new IOException(path + ": unsupported GGUF version " + version);
            }
            long tensors = buf.getLong();
            long kvs = buf.getLong();
            Map<String, GgufValue> meta = new LinkedHashMap<>();
            for (long i = 0; i < kvs; i++) {
                String key = readString(buf);
                GgufValue.Type type = GgufValue.Type.of(buf.getInt());
                meta.put(key, readValue(buf, type));
            }
            return new GgufFile(version, tensors, Collections.unmodifiableMap(meta));
        }
    }

    private static String readString(ByteBuffer buf) {
        long len = buf.getLong();
        byte[] b = new byte[Math.toIntExact(len)];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static GgufValue readValue(ByteBuffer buf, GgufValue.Type type) {
        if (type == GgufValue.Type.ARRAY) {
            GgufValue.Type element = GgufValue.Type.of(buf.getInt());
            long n = buf.getLong();
            List<Object> items = new ArrayList<>(Math.toIntExact(n));
            for (long i = 0; i < n; i++) {
                items.add(readScalar(buf, element));
            }
            return new GgufValue(type, element, Collections.unmodifiableList(items));
        }
        return new GgufValue(type, null, readScalar(buf, type));
    }

    private static Object readScalar(ByteBuffer buf, GgufValue.Type type) {
        return switch (type) {
            case UINT8, INT8 -> buf.get();
            case UINT16, INT16 -> buf.getShort();
            case UINT32, INT32 -> buf.getInt();
            case FLOAT32 -> buf.getFloat();
            case BOOL -> buf.get() != 0;
            case STRING -> readString(buf);
            case UINT64, INT64 -> buf.getLong();
            case FLOAT64 -> buf.getDouble();
            case ARRAY -> throw new IllegalArgumentException("nested GGUF arrays are not supported");
        };
    }
}
