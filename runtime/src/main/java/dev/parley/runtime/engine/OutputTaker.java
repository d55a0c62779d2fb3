package dev.parley.runtime.engine;

import dev.parley.bindings.grammar.GrammarException;
import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.kv.SharedTier;
import java.util.List;

/**
 * Takes what the last decode produced: samples a token for every slot with logits (keeping drafted
 * tokens while they match), turns it into text through the slot's stop-string and thinking filter,
 * emits pieces, and ends a generation on end-of-generation, a stop string or a limit. Scheduler
 * thread only.
 */
final class OutputTaker {

    private final StepExecutor ctx;
    private final SequenceCache sequences;
    private final SlotTable slots;
    private final Finisher finisher;
    private final Scheduler.Counters counters;
    private final EngineObserver observer;
    /** Null without a shared tier (told each prefill's speed, for its fetch-or-prefill choice). */
    private final SharedTier shared;

    OutputTaker(StepExecutor ctx, SequenceCache sequences, SlotTable slots, Finisher finisher, Scheduler.Counters counters,
                EngineObserver observer, SharedTier shared) {
        this.ctx = ctx;
        this.sequences = sequences;
        this.slots = slots;
        this.finisher = finisher;
        this.counters = counters;
        this.observer = observer;
        this.shared = shared;
    }

    /** Samples every slot the last decode ({@code decoded}) produced logits for. */
    void sampleAll(StepPlan decoded) {
        for (Slot s : slots.all()) {
            if (s.logitsRow < 0 || !s.active()) {
                continue;
            }
            Generation g = s.gen;
            int row = s.logitsRow;
            s.logitsRow = -1;
            long now = System.nanoTime();
            if (s.state == SlotInfo.State.PREFILL) {
                s.state = SlotInfo.State.GENERATING;
                g.prefillDone = now;
                if (shared != null) {
                    shared.notePrefill(g.prompt().length - g.promptCached, now - g.admitted);
                }
            }
            // The KV holds the decoded token and then the drafts (rows row+1..): a token sampled at
            // each row in turn is the one a plain decode would have produced there, so a draft token
            // is accepted while it equals what was sampled before it, and the first other token is
            // the next one to decode. Exact for greedy and sampled decoding alike (the draft is
            // deterministic), and the sampler, grammar and penalties only ever see accepted tokens.
            int drafted = decoded.draftLength(s.id);
            int[] draft = decoded.draft(s.id);
            int held = s.kv.count() - drafted; // cells of the tokens before the drafts
            int accepted = 0;
            while (true) {
                int token;
                try {
                    token = g.sampler.sample(row + accepted);
                } catch (GrammarException e) {
                    // The grammar's Java mirror refused the token before llama.cpp saw it (which would have aborted).
                    finisher.fail(s, ErrorCode.INVALID_REQUEST, "grammar: " + e.getMessage());
                    break;
                }
                if (g.logprobs != null) {
                    ctx.recordLogprobs(g.logprobs, row + accepted, token);
                }
                FinishReason end = take(s, token, held + accepted, now);
                if (end == null && accepted < drafted && token == draft[accepted]) {
                    accepted++;
                    continue;
                }
                if (accepted < drafted) {
                    sequences.cut(s.kv, held + accepted); // the rejected drafts' cells
                }
                if (drafted > 0) {
                    g.gate.verified(drafted, accepted);
                    counters.draftedTokens.add(drafted);
                    counters.acceptedTokens.add(accepted);
                    observer.draftVerified(drafted, accepted);
                } else if (g.speculate) {
                    g.gate.generatedWithoutDraft();
                }
                if (end != null) {
                    finisher.finish(s, end, now);
                } else {
                    s.nextToken = token;
                }
                break;
            }
        }
    }

    /**
     * Emits a sampled token; returns why the generation ends with it, or null when it goes on (the
     * token is then the next to decode). {@code cells} is what the sequence holds before this token.
     */
    private FinishReason take(Slot s, int token, int cells, long now) {
        Generation g = s.gen;
        if (g.firstToken == 0) {
            g.firstToken = now;
            observer.firstToken(now - g.pending.enqueuedNanos());
        } else {
            observer.token(now - g.lastToken);
        }
        g.lastToken = now;
        if (ctx.isEndOfGeneration(token)) {
            return FinishReason.STOP;
        }
        g.generated++;
        g.tokensSinceEmit++;
        if (g.filter.inReasoning()) {
            g.reasoningTokens++;
        }
        int n = ctx.piece(token);
        String text = g.utf8.append(ctx.pieceBytes(), n);
        if (!text.isEmpty()) {
            g.filter.push(text, s.sink);
        }
        if (g.filter.stopped()) {
            return FinishReason.STOP;
        }
        if (g.generated >= g.request().maxTokens() || cells >= s.kv.capacity()) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    /** Where slot {@code s}'s filter sends a piece. */
    void emitPiece(Slot s, String raw, String text, GenerationEvent.Channel channel) {
        Generation g = s.gen;
        int tokens = g.tokensSinceEmit;
        g.tokensSinceEmit = 0;
        s.stream().emit(new GenerationEvent.Piece(raw, text, channel, tokens, g.logprobs == null ? List.of() : g.logprobs.drain()));
    }
}
