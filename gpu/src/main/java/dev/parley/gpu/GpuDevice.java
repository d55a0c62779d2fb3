package dev.parley.gpu;

/** A CUDA device as the runtime describes it. */
public record GpuDevice(int index, String name, int computeMajor, int computeMinor, int multiprocessors, long totalBytes, long freeBytes) {

    public String computeCapability() {
        return computeMajor + "." + computeMinor;
    }
}
