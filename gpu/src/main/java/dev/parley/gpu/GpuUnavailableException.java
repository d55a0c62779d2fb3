package dev.parley.gpu;

/** A GPU library or device is not there; the message says which and why. Normal on CPU machines. */
public final class GpuUnavailableException extends RuntimeException {

    public GpuUnavailableException(String message) {
        super(message, null, false, false);
    }
}
