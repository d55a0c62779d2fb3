package dev.parley.server.exchange;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.files.Document;
import dev.parley.server.files.Documents;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Documents that do not fit a slot's context: named in the 413 (with their token counts), or, with the
 * {@code truncate} overflow policy, cut. Every document keeps the same share of its text, the largest
 * share that fits, each cut at a line or word break and marked as cut.
 */
final class DocumentFit {

    /** Put after a cut document's text. */
    static final String CUT_MARK = "\n[... the rest of this document did not fit the context]";

    /** The prompt to run and the ids of the files whose text was cut (empty when all fit). */
    /** The prompt to run, rendered and tokenized (submitting it renders nothing again), and the files cut to fit. */
    record Fitted(Prompt.Prepared prompt, List<String> cutFiles) {}

    private DocumentFit() {
    }

    /** The 413 for a prompt with documents (each file once) that the engine refused as too long. */
    static ApiError tooLong(ApiError refusal, List<Document> documents, int slotCapacity) {
        StringBuilder b = new StringBuilder("the attached files do not fit the context (a slot holds ").append(slotCapacity).append(" tokens): ");
        int total = 0;
        for (int i = 0; i < documents.size(); i++) {
            Document d = documents.get(i);
            b.append(i == 0 ? "" : ", ").append(d.name()).append(" (").append(d.fileId()).append(") ").append(d.tokens()).append(" tokens");
            total += d.tokens();
        }
        b.append("; ").append(total).append(" in all. ").append(refusal.getMessage())
                .append(". Attach fewer or smaller files, or send \"context_overflow\": \"truncate\" to cut them to fit");
        return new ApiError(413, b.toString(), null, refusal.code());
    }

    /** With the truncate policy, after older turns were dropped: cuts the documents until the prompt leaves room to generate. */
    static Fitted fit(EngineClient engine, Prompt.Prepared prepared, List<Document> documents, int maxTokens) {
        try {
            int budget = engine.slotCapacity() - Math.min(maxTokens, engine.slotCapacity() / 2);
            if (documents.isEmpty() || prepared.tokenCount() <= budget) {
                return new Fitted(prepared, List.of());
            }
            Prompt.Chat chat = prepared.chat();
            // the largest share of every document's text that fits, to 1/1024
            int lo = 0;
            int hi = 1023;
            int best = -1;
            Prompt.Prepared fits = null;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                Prompt.Prepared candidate = engine.prepare(cut(chat, documents, mid));
                if (candidate.tokenCount() <= budget) {
                    best = mid;
                    fits = candidate; // the search only moves to larger shares from here: the last fit is the answer
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            if (best < 0) {
                return new Fitted(prepared, List.of()); // not even without the documents' text: the engine refuses it (413)
            }
            return new Fitted(fits, documents.stream().map(Document::fileId).toList());
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
    }

    /** The chat with every document's block replaced by one keeping {@code share}/1024 of its text. */
    private static Prompt.Chat cut(Prompt.Chat chat, List<Document> documents, int share) {
        Map<String, String> replacements = new LinkedHashMap<>();
        for (Document d : documents) {
            String text = d.text();
            int keep = breakBefore(text, (int) ((long) text.length() * share / 1024));
            replacements.put(Documents.block(d), Documents.block(d.cut(text.substring(0, keep) + CUT_MARK)));
        }
        List<Map<String, Object>> messages = new ArrayList<>(chat.messages().size());
        for (Map<String, Object> m : chat.messages()) {
            if (m.get("content") instanceof String original && original.contains("<document name=")) {
                String content = original;
                for (var r : replacements.entrySet()) {
                    content = content.replace(r.getKey(), r.getValue());
                }
                Map<String, Object> copy = new LinkedHashMap<>(m);
                copy.put("content", content);
                messages.add(copy);
            } else {
                messages.add(m);
            }
        }
        return new Prompt.Chat(messages, chat.addGenerationPrompt(), chat.enableThinking(), chat.tools(), chat.templateArguments());
    }

    /** A cut point at or before {@code at}: after a line break or a space when one is near, so no word is split. */
    private static int breakBefore(String text, int at) {
        if (at >= text.length()) {
            return text.length();
        }
        int line = text.lastIndexOf('\n', at);
        if (line > 0 && at - line < 400) {
            return line;
        }
        int space = text.lastIndexOf(' ', at);
        if (space > 0 && at - space < 80) {
            return space;
        }
        // never split a surrogate pair
        return at > 0 && Character.isHighSurrogate(text.charAt(at - 1)) ? at - 1 : at;
    }
}
