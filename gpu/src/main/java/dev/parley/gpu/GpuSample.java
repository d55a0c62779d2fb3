package dev.parley.gpu;

/** One NVML reading of a device; -1 where the driver does not report a figure. */
public record GpuSample(int index, String name, long memoryUsedBytes, long memoryTotalBytes, int utilizationPercent,
                        int memoryUtilizationPercent, int temperatureCelsius, double powerWatts, long throttleReasons) {}
