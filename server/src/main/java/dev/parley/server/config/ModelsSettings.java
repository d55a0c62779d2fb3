package dev.parley.server.config;

import dev.parley.server.models.ModelCatalog;
import java.time.Duration;

/**
 * Several models in one server: the catalog ({@code --model NAME=REF} repeated, {@code --models-dir}), or
 * null when one {@code --model REF} is served for every request as before; how long an idle model stays
 * loaded ({@code --keep-alive}; negative: for ever) and how many may be loaded at once ({@code --models-max-loaded}).
 */
public record ModelsSettings(ModelCatalog catalog, Duration keepAlive, int maxLoaded) {

    /** Whether requests pick their model by name. */
    public boolean several() {
        return catalog != null;
    }
}
