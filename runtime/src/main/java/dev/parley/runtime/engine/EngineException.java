package dev.parley.runtime.engine;

/** A request the engine refuses, with the code that says why. */
public final class EngineException extends RuntimeException {

    private final ErrorCode code;

    public EngineException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
