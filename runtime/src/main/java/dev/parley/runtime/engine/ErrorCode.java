package dev.parley.runtime.engine;

/** Why a request failed; {@link #httpStatus} is what the HTTP API answers before streaming starts. */
public enum ErrorCode {
    INVALID_REQUEST(400),
    PROMPT_TOO_LONG(413),
    QUEUE_FULL(503),
    SHUTTING_DOWN(503),
    QUEUE_TIMEOUT(504),
    CONTEXT_FULL(500),
    INTERNAL(500);

    public final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }
}
