package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** What the loaded ggml backends offer. */
public final class Backends {

    private Backends() {
    }

    /** Every device of every loaded backend, in ggml's order. */
    public static List<BackendDevice> devices() {
        NativeLibraries.llama();
        List<BackendDevice> devices = new ArrayList<>();
        long count = Llama.ggml_backend_dev_count();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (long i = 0; i < count; i++) {
                MemorySegment dev = Llama.ggml_backend_dev_get(i);
                Llama.ggml_backend_dev_memory(dev, free, total);
                devices.add(new BackendDevice(
                        cString(Llama.ggml_backend_dev_name(dev)),
                        cString(Llama.ggml_backend_dev_description(dev)),
                        type(Llama.ggml_backend_dev_type(dev)),
                        free.get(ValueLayout.JAVA_LONG, 0),
                        total.get(ValueLayout.JAVA_LONG, 0)));
            }
        }
        return devices;
    }

    /** Whether a GPU backend is loaded that llama.cpp can offload layers to. */
    public static boolean gpuOffloadAvailable() {
        NativeLibraries.llama();
        return Llama.llama_supports_gpu_offload();
    }

    /** llama.cpp's summary of the CPU features and backends it uses. */
    public static String systemInfo() {
        NativeLibraries.llama();
        return cString(Llama.llama_print_system_info());
    }

    private static BackendDevice.Type type(int t) {
        return switch (t) {
            case Llama.GGML_BACKEND_DEVICE_TYPE_CPU -> BackendDevice.Type.CPU;
            case Llama.GGML_BACKEND_DEVICE_TYPE_GPU -> BackendDevice.Type.GPU;
            case Llama.GGML_BACKEND_DEVICE_TYPE_IGPU -> BackendDevice.Type.IGPU;
            case Llama.GGML_BACKEND_DEVICE_TYPE_ACCEL -> BackendDevice.Type.ACCEL;
            case Llama.GGML_BACKEND_DEVICE_TYPE_META -> BackendDevice.Type.META;
            default -> BackendDevice.Type.UNKNOWN;
        };
    }

    static String cString(MemorySegment s) {
        return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
