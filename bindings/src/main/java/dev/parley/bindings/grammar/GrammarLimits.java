package dev.parley.bindings.grammar;

/**
 * Bounds on a grammar, so that no grammar text can make llama.cpp's parser or its checks recurse past
 * the native stack or allocate without limit.
 *
 * @param maxBytes grammar text, in UTF-8 bytes
 * @param maxNesting parentheses inside parentheses (llama.cpp's parser recurses once per level)
 * @param maxRules rules after expansion (groups and repetitions become rules of their own)
 * @param maxElements elements of all rules after expansion ({@code x{100}} copies x a hundred times)
 * @param maxLeftChain rules reached one from the start of the other in a row (llama.cpp's left-recursion
 *     check recurses once per link)
 */
public record GrammarLimits(int maxBytes, int maxNesting, int maxRules, int maxElements, int maxLeftChain) {

    public static final GrammarLimits DEFAULT = new GrammarLimits(128 * 1024, 64, 16_384, 500_000, 1_000);
}
