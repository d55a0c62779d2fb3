package dev.parley.server.credits;

import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.config.CreditPrices;
import dev.parley.server.threads.OwnerUsage;
import dev.parley.server.threads.StoreException;
import dev.parley.server.threads.UsageStore;
import java.util.Map;

/**
 * Per-owner usage accounting: every generation is charged to its owner in credits, at the configured
 * prices, and an owner whose budget is spent is refused before generating.
 *
 * <p>The rule under concurrency: the check before a call only asks whether anything is left, and the
 * call is charged in full once it ends, so calls admitted while credit remained may together overshoot
 * the budget, each by at most its own cost; {@code credits_used} then shows the overshoot and
 * {@code credits_remaining} is 0. Charging is exact (an atomic increment in the store).
 */
public final class Credits {

    /** A charge's tokens and credits, for per-owner counters. */
    @FunctionalInterface
    public interface Meter {
        Meter NONE = (owner, prompt, cached, completion, creditMicros) -> { };

        void charged(String owner, int promptTokens, int cachedPromptTokens, int completionTokens, long creditMicros);
    }

    private static final System.Logger LOG = System.getLogger("parley.api");

    private final Map<String, Long> budgets;
    private final long promptMicros;
    private final long cachedMicros;
    private final long completionMicros;
    private final UsageStore store;
    private final Meter meter;

    /** {@code budgets}: owner to budget in millionths of a credit (owners without one are absent). */
    public Credits(Map<String, Long> budgets, CreditPrices prices, UsageStore store, Meter meter) {
        this.budgets = Map.copyOf(budgets);
        this.promptMicros = CreditPrices.microsPerToken(prices.promptPer1k());
        this.cachedMicros = CreditPrices.microsPerToken(prices.cachedPromptPer1k());
        this.completionMicros = CreditPrices.microsPerToken(prices.completionPer1k());
        this.store = store;
        this.meter = meter;
    }

    /** The owner's budget in millionths of a credit, or null when it has none. */
    public Long budget(String owner) {
        return budgets.get(owner);
    }

    /** Refuses (402, before any generation) an owner whose budget is spent; owners without a budget always pass. */
    public void admit(String owner) {
        Long budget = budgets.get(owner);
        if (budget == null) {
            return;
        }
        long used = store.get(owner).creditMicros();
        if (used >= budget) {
            throw new ApiError(402, "the credit budget of this API key's owner is used up (" + Charge.credits(used).toPlainString() + " of "
                    + Charge.credits(budget).toPlainString() + " credits); GET /api/v1/usage shows its usage", null, "insufficient_quota");
        }
    }

    /** What a generation's tokens cost, in millionths of a credit. */
    public long cost(GenerationEvent.Usage u) {
        int cached = Math.min(u.cachedPromptTokens(), u.promptTokens());
        return (long) (u.promptTokens() - cached) * promptMicros + (long) cached * cachedMicros + (long) u.generatedTokens() * completionMicros;
    }

    /**
     * Charges a generation's tokens to the owner: what the call cost and what is left. A store that
     * cannot record it is logged, and the answer goes on (its credits left then unknown: null).
     */
    public Charge charge(String owner, GenerationEvent.Usage u) {
        long cost = cost(u);
        int cached = Math.min(u.cachedPromptTokens(), u.promptTokens());
        meter.charged(owner, u.promptTokens(), cached, u.generatedTokens(), cost);
        Long budget = budgets.get(owner);
        OwnerUsage after;
        try {
            after = store.charge(owner, u.promptTokens(), cached, u.generatedTokens(), cost);
        } catch (StoreException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot record the usage of owner " + owner + ": " + e.getMessage());
            return new Charge(cost, null);
        }
        return new Charge(cost, remaining(budget, after));
    }

    /** The owner's usage so far. */
    public OwnerUsage usage(String owner) {
        return store.get(owner);
    }

    /** Credits left in millionths (never below 0), or null without a budget. */
    public static Long remaining(Long budget, OwnerUsage usage) {
        return budget == null ? null : Math.max(0, budget - usage.creditMicros());
    }
}
