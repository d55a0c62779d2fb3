package dev.parley.gpu;

import dev.parley.gpu.cuda.Cudart;
import dev.parley.gpu.cuda.cudaDeviceProp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Which CUDA devices this process can use. Without a driver, the runtime library or a device, the
 * answer is "none" with the reason, never an exception: a CPU machine is a normal case.
 */
public final class GpuDiscovery {

    /** The outcome: devices (possibly none), and why there are none. */
    public record Report(List<GpuDevice> devices, String reason, int runtimeVersion, int driverVersion) {

        public boolean hasDevice() {
            return !devices.isEmpty();
        }

        /** One line for the startup log. */
        public String summary() {
            if (!hasDevice()) {
                return "no CUDA device: " + reason;
            }
            StringBuilder b = new StringBuilder(devices.size() + " CUDA device(s), runtime " + version(runtimeVersion) + ", driver " + version(driverVersion) + ":");
            for (GpuDevice d : devices) {
                b.append(String.format(" [%d] %s (sm_%d%d, %d SMs, %.1f GiB, %.1f GiB free)", d.index(), d.name(), d.computeMajor(),
                        d.computeMinor(), d.multiprocessors(), d.totalBytes() / 1073741824.0, d.freeBytes() / 1073741824.0));
            }
            return b.toString();
        }

        private static String version(int v) {
            return v <= 0 ? "?" : v / 1000 + "." + (v % 1000) / 10;
        }
    }

    private GpuDiscovery() {
    }

    public static Report discover() {
        try {
            return probe();
        } catch (GpuUnavailableException e) {
            return new Report(List.of(), e.getMessage(), 0, 0);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return new Report(List.of(), "the CUDA runtime failed: " + e, 0, 0);
        }
    }

    private static Report probe() {
        GpuLibraries.cudart(); // a missing library as a plain exception, before any binding class initialises
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            Cudart.cudaRuntimeGetVersion(out);
            int runtime = out.get(ValueLayout.JAVA_INT, 0);
            int driver = Cudart.cudaDriverGetVersion(out) == Cudart.cudaSuccess ? out.get(ValueLayout.JAVA_INT, 0) : 0;
            int rc = Cudart.cudaGetDeviceCount(out);
            if (rc != Cudart.cudaSuccess) {
                return new Report(List.of(), "CUDA error " + rc + " (" + errorName(rc) + "): " + errorString(rc), runtime, driver);
            }
            int count = out.get(ValueLayout.JAVA_INT, 0);
            if (count == 0) {
                return new Report(List.of(), "the CUDA runtime sees no device", runtime, driver);
            }
            List<GpuDevice> devices = new ArrayList<>();
            MemorySegment prop = cudaDeviceProp.allocate(arena);
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (int i = 0; i < count; i++) {
                if (Cudart.cudaGetDeviceProperties(prop, i) != Cudart.cudaSuccess) {
                    continue;
                }
                long freeBytes = 0;
                if (Cudart.cudaSetDevice(i) == Cudart.cudaSuccess && Cudart.cudaMemGetInfo(free, total) == Cudart.cudaSuccess) {
                    freeBytes = free.get(ValueLayout.JAVA_LONG, 0);
                }
                devices.add(new GpuDevice(i, cudaDeviceProp.name(prop).getString(0), cudaDeviceProp.major(prop), cudaDeviceProp.minor(prop),
                        cudaDeviceProp.multiProcessorCount(prop), cudaDeviceProp.totalGlobalMem(prop), freeBytes));
            }
            return new Report(List.copyOf(devices), devices.isEmpty() ? "no device answered cudaGetDeviceProperties" : null, runtime, driver);
        }
    }

    private static String errorName(int rc) {
        return Cudart.cudaGetErrorName(rc).reinterpret(256).getString(0);
    }

    private static String errorString(int rc) {
        return Cudart.cudaGetErrorString(rc).reinterpret(1024).getString(0);
    }
}
