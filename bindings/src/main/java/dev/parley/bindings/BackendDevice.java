package dev.parley.bindings;

/** A ggml compute device (CPU, GPU, accelerator) as the loaded backends report it. */
public record BackendDevice(String name, String description, Type type, long freeBytes, long totalBytes) {

    public enum Type { CPU, GPU, IGPU, ACCEL, META, UNKNOWN }
}
