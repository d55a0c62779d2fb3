package dev.parley.server.credits;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;

/**
 * What one call cost and what its owner has left: millionths of a credit; {@code remainingMicros} is
 * null when the owner has no budget, and never below 0 (concurrent calls may overshoot a budget, see
 * {@link Credits}).
 */
public record Charge(long usedMicros, Long remainingMicros) {

    /** Credits as a JSON number: millionths shown as a decimal, without trailing zeros or an exponent. */
    public static BigDecimal credits(long micros) {
        BigDecimal c = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return c.scale() < 0 ? c.setScale(0) : c;
    }

    /**
     * Puts {@code credits_used} and {@code credits_remaining} (null without a budget) into an answer; a
     * call not charged (none: the exchange always charges before done) shows 0 used.
     */
    public static void put(ObjectNode answer, Charge charge) {
        Charge c = charge == null ? new Charge(0, null) : charge;
        answer.put("credits_used", c.creditsUsed());
        answer.put("credits_remaining", c.creditsRemaining());
    }

    public BigDecimal creditsUsed() {
        return credits(usedMicros);
    }

    /** The credits left, or null without a budget. */
    public BigDecimal creditsRemaining() {
        return remainingMicros == null ? null : credits(remainingMicros);
    }
}
