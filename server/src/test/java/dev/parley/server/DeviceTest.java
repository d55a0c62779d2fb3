package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.Json;
import dev.parley.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Device choice on a machine without an NVIDIA GPU (CI): CUDA refused clearly, auto serves on the CPU. */
class DeviceTest {

    @BeforeEach
    void noGpuHere() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidiactl")), "this machine has an NVIDIA GPU: scripts/gpu-check.sh covers it");
    }

    @Test
    void deviceCudaFailsWithWhatIsMissing() throws Exception {
        ServerConfig config = ServerConfig.load(new String[] {"--model", TestModels.tinyQwen3().toString(), "--device", "cuda", "--port", "0",
                "--data-dir", Files.createTempDirectory("parley-data").toString()}, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParleyServer.start(config));
        assertTrue(e.getMessage().startsWith("--device cuda: "), e.getMessage());
        assertTrue(e.getMessage().contains("libcuda.so.1"), "the missing driver is named: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void deviceAutoServesOnTheCpuAndSaysWhy() throws Exception {
        try (TestServer server = new TestServer("--slots", "1", "--device", "auto")) {
            JsonNode gpus = Json.MAPPER.readTree(server.get("/api/v1/gpus").body());
            assertEquals("cpu", gpus.get("device").asText());
            assertEquals(0, gpus.get("devices").size());
            assertFalse(gpus.get("reason").asText().isBlank());
            assertEquals(200, server.post("/api/v1/continue_from_raw_prompt", "{\"raw_prompt\": \"hello\", \"max_tokens\": 2}").statusCode());
        }
    }

    @Test
    void aBadDeviceIsAConfigError() {
        assertTrue(assertThrows(dev.parley.server.config.ConfigException.class,
                () -> ServerConfig.load(new String[] {"--device", "tpu"}, Map.of())).getMessage().startsWith("--device: expected auto, cuda or cpu"));
    }
}
