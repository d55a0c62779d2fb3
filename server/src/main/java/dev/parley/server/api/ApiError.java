package dev.parley.server.api;

/** A request the API refuses: the HTTP status, a message that says what to fix, and the field if one is at fault. */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String param;

    public ApiError(int status, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
    }

    public static ApiError badRequest(String param, String message) {
        return new ApiError(400, message, param);
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }
}
