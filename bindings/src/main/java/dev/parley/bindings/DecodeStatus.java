package dev.parley.bindings;

/** What {@code llama_decode} reported. */
public enum DecodeStatus {
    /** The batch was decoded. */
    OK,
    /** No KV slot for the batch; the state is unchanged, so a smaller batch may fit. */
    NO_KV_SLOT,
    /** The abort callback stopped the computation. */
    ABORTED,
    /** llama.cpp rejected the batch (positions, sequence ids): a bug upstream of the call. */
    INVALID_BATCH,
    /** The computation itself failed. */
    COMPUTE_ERROR;

    static DecodeStatus of(int code) {
        return switch (code) {
            case 0 -> OK;
            case 1 -> NO_KV_SLOT;
            case 2 -> ABORTED;
            case -1 -> INVALID_BATCH;
            default -> code > 0 ? NO_KV_SLOT : COMPUTE_ERROR;
        };
    }
}
