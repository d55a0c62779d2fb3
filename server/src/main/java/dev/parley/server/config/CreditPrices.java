package dev.parley.server.config;

import java.math.BigDecimal;

/**
 * What generation costs, in credits per 1,000 tokens: prompt tokens prefilled, prompt tokens served
 * from the KV cache (cheaper, as hosted APIs price them), and completion tokens (reasoning included).
 * At most three decimals each, so that one token costs a whole number of millionths of a credit.
 */
public record CreditPrices(BigDecimal promptPer1k, BigDecimal cachedPromptPer1k, BigDecimal completionPer1k) {

    /** The prices when no flag sets them (the options' defaults). */
    public static final CreditPrices DEFAULT = new CreditPrices(new BigDecimal("1"), new BigDecimal("0.1"), new BigDecimal("4"));

    /** Millionths of a credit one token costs at a price per 1,000 tokens. */
    public static long microsPerToken(BigDecimal per1k) {
        return per1k.movePointRight(3).longValueExact();
    }
}
