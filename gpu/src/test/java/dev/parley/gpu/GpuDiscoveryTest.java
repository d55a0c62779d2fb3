package dev.parley.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** On a machine without an NVIDIA GPU (CI), discovery and telemetry say so plainly. */
class GpuDiscoveryTest {

    private static void assumeNoGpu() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidiactl")), "this machine has an NVIDIA GPU: scripts/gpu-check.sh covers it");
    }

    @Test
    void discoveryReportsNoDeviceWithTheReason() {
        assumeNoGpu();
        GpuDiscovery.Report r = GpuDiscovery.discover();
        assertFalse(r.hasDevice());
        assertTrue(r.reason() != null && !r.reason().isBlank());
        // Either the runtime library is missing, or it is there and CUDA explains why it has no device.
        assertTrue(r.reason().contains(GpuLibraries.CUDART) || r.reason().startsWith("CUDA error ") || r.reason().contains("no device"), r.reason());
        assertTrue(r.summary().startsWith("no CUDA device: "), r.summary());
        assertFalse(r.summary().contains("\n"), "one line for the log");
    }

    @Test
    void telemetryWithoutTheDriverIsEmptyWithTheReason() {
        assumeNoGpu();
        GpuTelemetry t = GpuTelemetry.open();
        assertFalse(t.available());
        assertTrue(t.reason().contains(GpuLibraries.NVML) || t.reason().startsWith("NVML"), t.reason());
        assertTrue(t.sample().isEmpty());
    }

    @Test
    void theDriverLibraryIsReportedMissing() {
        assumeNoGpu();
        assertFalse(GpuLibraries.available(GpuLibraries.DRIVER), "no libcuda.so.1 without a driver");
    }
}
