package dev.parley.runtime.embed;

/** Vector arithmetic the embedding APIs need. */
public final class Vectors {

    private Vectors() {
    }

    /**
     * A copy scaled to unit Euclidean length, as OpenAI's and Ollama's {@code /api/embed} return
     * vectors (a zero vector stays zero rather than becoming NaN).
     */
    public static float[] l2Normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum == 0) {
            return out;
        }
        double inv = 1 / Math.sqrt(sum);
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (out[i] * inv);
        }
        return out;
    }
}
