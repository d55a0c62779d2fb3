package dev.parley.runtime.engine;

import java.nio.file.Path;

/** Facts about the loaded model. */
public record ModelInfo(Path path, String name, String architecture, String description, int contextLengthTrained,
                        long parameters, long sizeBytes, int layers, int vocabularySize, String bosToken, String eosToken,
                        boolean chatTemplateOverridden) {}
