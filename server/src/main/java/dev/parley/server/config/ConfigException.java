package dev.parley.server.config;

/** Bad configuration: the message is the one line printed at startup. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
