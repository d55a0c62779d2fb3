package dev.parley.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds and opens the NVIDIA libraries: the CUDA runtime (libcudart.so.13, from the CUDA toolkit or a
 * CUDA runtime image) and NVML (libnvidia-ml.so.1, from the driver). Each is looked for by its soname
 * (the dynamic linker's search path) and then in the usual install directories; a library that is
 * nowhere is a {@link GpuUnavailableException} naming it and where it was looked for.
 */
public final class GpuLibraries {

    public static final String CUDART = "libcudart.so.13";
    public static final String CUBLAS = "libcublas.so.13";
    public static final String DRIVER = "libcuda.so.1";
    public static final String NVML = "libnvidia-ml.so.1";

    private static final Map<String, Object> OPENED = new ConcurrentHashMap<>();

    private GpuLibraries() {
    }

    public static SymbolLookup cudart() {
        return open(CUDART);
    }

    public static SymbolLookup nvml() {
        return open(NVML);
    }

    /** Directories searched after the dynamic linker's own path. */
    static List<Path> searchDirs() {
        List<Path> dirs = new ArrayList<>();
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isBlank()) {
            dirs.add(Path.of(cudaHome, "lib64"));
        }
        dirs.addAll(List.of(Path.of("/usr/local/cuda/lib64"), Path.of("/usr/local/cuda/targets/x86_64-linux/lib"),
                Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/local/nvidia/lib64"), Path.of("/usr/lib/wsl/lib")));
        return dirs;
    }

    /** Whether a library can be opened, without failing when it cannot. */
    public static boolean available(String soname) {
        try {
            open(soname);
            return true;
        } catch (GpuUnavailableException e) {
            return false;
        }
    }

    static SymbolLookup open(String soname) {
        Object o = OPENED.computeIfAbsent(soname, GpuLibraries::tryOpen);
        if (o instanceof SymbolLookup lookup) {
            return lookup;
        }
        throw new GpuUnavailableException((String) o);
    }

    /** The lookup, or the reason (a String) it could not be opened: remembered, so we look once. */
    private static Object tryOpen(String soname) {
        try {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        } catch (IllegalArgumentException notOnLinkerPath) {
            // fall through to the usual directories
        }
        for (Path dir : searchDirs()) {
            Path candidate = dir.resolve(soname);
            if (Files.exists(candidate)) {
                try {
                    return SymbolLookup.libraryLookup(candidate, Arena.global());
                } catch (IllegalArgumentException e) {
                    return soname + " at " + candidate + " could not be loaded: " + e.getMessage();
                }
            }
        }
        return soname + " not found (not on the dynamic linker's path, nor in " + searchDirs() + ")";
    }
}
