package dev.parley.server.api;

import dev.parley.runtime.engine.ErrorCode;
import java.util.Locale;

/**
 * A request the API refuses: the HTTP status, a message that says what to fix, the field if one is at
 * fault, and a machine-readable code where there is one (the engine's error code, {@code invalid_api_key}).
 * Thrown anywhere below a route; each dialect renders it once, in its own shape.
 */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String param;
    private final String code;

    public ApiError(int status, String message, String param) {
        this(status, message, param, null);
    }

    public ApiError(int status, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    public static ApiError badRequest(String param, String message) {
        return new ApiError(400, message, param);
    }

    /** A write that cannot be stored because the disk is full (507 Insufficient Storage); the message names where. */
    public static ApiError insufficientStorage(String message) {
        return new ApiError(507, message, null, "insufficient_storage");
    }

    /** The engine refused or failed a generation. */
    public static ApiError engine(ErrorCode code, String message) {
        return new ApiError(code.httpStatus, message, null, code.name().toLowerCase(Locale.ROOT));
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }

    /** A machine-readable code, or null. */
    public String code() {
        return code;
    }

    /** Overload (queue full, shutting down): the client may retry shortly. */
    public boolean retryable() {
        return status == 503;
    }
}
