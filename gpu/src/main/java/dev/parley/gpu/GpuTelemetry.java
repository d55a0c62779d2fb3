package dev.parley.gpu;

import dev.parley.gpu.nvml.Nvml;
import dev.parley.gpu.nvml.nvmlMemory_st;
import dev.parley.gpu.nvml.nvmlUtilization_st;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-device utilization, memory, temperature, power and throttle reasons through NVML. Without the
 * driver's NVML library (CPU machines) {@link #sample()} returns nothing and {@link #reason()} says why.
 */
public final class GpuTelemetry {

    private final String reason;

    private GpuTelemetry(String reason) {
        this.reason = reason;
    }

    /** Initialises NVML once; never throws. */
    public static GpuTelemetry open() {
        try {
            GpuLibraries.nvml(); // a missing library as a plain exception, before any binding class initialises
            int rc = Nvml.nvmlInit_v2();
            if (rc != Nvml.NVML_SUCCESS) {
                return new GpuTelemetry("NVML could not start: " + error(rc));
            }
            return new GpuTelemetry(null);
        } catch (GpuUnavailableException e) {
            return new GpuTelemetry(e.getMessage());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return new GpuTelemetry("NVML failed: " + e);
        }
    }

    public boolean available() {
        return reason == null;
    }

    /** Why there is no telemetry, or null. */
    public String reason() {
        return reason;
    }

    /** A reading of every device (empty without NVML). */
    public List<GpuSample> sample() {
        if (reason != null) {
            return List.of();
        }
        List<GpuSample> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            if (Nvml.nvmlDeviceGetCount_v2(count) != Nvml.NVML_SUCCESS) {
                return List.of();
            }
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment name = arena.allocate(96);
            MemorySegment util = nvmlUtilization_st.allocate(arena);
            MemorySegment mem = nvmlMemory_st.allocate(arena);
            MemorySegment uint = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment ulong = arena.allocate(ValueLayout.JAVA_LONG);
            for (int i = 0; i < count.get(ValueLayout.JAVA_INT, 0); i++) {
                if (Nvml.nvmlDeviceGetHandleByIndex_v2(i, handle) != Nvml.NVML_SUCCESS) {
                    continue;
                }
                MemorySegment dev = handle.get(ValueLayout.ADDRESS, 0);
                String devName = Nvml.nvmlDeviceGetName(dev, name, (int) name.byteSize()) == Nvml.NVML_SUCCESS ? name.getString(0) : "?";
                boolean memOk = Nvml.nvmlDeviceGetMemoryInfo(dev, mem) == Nvml.NVML_SUCCESS;
                boolean utilOk = Nvml.nvmlDeviceGetUtilizationRates(dev, util) == Nvml.NVML_SUCCESS;
                int temp = Nvml.nvmlDeviceGetTemperature(dev, Nvml.NVML_TEMPERATURE_GPU, uint) == Nvml.NVML_SUCCESS ? uint.get(ValueLayout.JAVA_INT, 0) : -1;
                double watts = Nvml.nvmlDeviceGetPowerUsage(dev, uint) == Nvml.NVML_SUCCESS ? uint.get(ValueLayout.JAVA_INT, 0) / 1000.0 : -1;
                long throttle = Nvml.nvmlDeviceGetCurrentClocksEventReasons(dev, ulong) == Nvml.NVML_SUCCESS ? ulong.get(ValueLayout.JAVA_LONG, 0) : -1;
                out.add(new GpuSample(i, devName, memOk ? nvmlMemory_st.used(mem) : -1, memOk ? nvmlMemory_st.total(mem) : -1,
                        utilOk ? nvmlUtilization_st.gpu(util) : -1, utilOk ? nvmlUtilization_st.memory(util) : -1, temp, watts, throttle));
            }
        }
        return out;
    }

    private static String error(int rc) {
        try {
            return "NVML error " + rc + " (" + Nvml.nvmlErrorString(rc).reinterpret(256).getString(0) + ")";
        } catch (RuntimeException e) {
            return "NVML error " + rc;
        }
    }
}
