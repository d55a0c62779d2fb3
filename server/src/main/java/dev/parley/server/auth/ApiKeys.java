package dev.parley.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.math.BigDecimal;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The configured API keys. Each key has an owner name (from the keys file, or derived from the key's
 * hash): threads belong to owners. Keys are kept only as SHA-256 digests and compared in constant time.
 * An owner may have a budget in credits ({@code OWNER:KEY:BUDGET}), which all its keys draw on.
 */
public final class ApiKeys {

    /** The owner of everything when no keys are configured. */
    public static final String LOCAL_OWNER = "local";

    private record Entry(String owner, byte[] digest) {}

    /** A budget field: credits, a whole or decimal number with at most 6 decimals (millionths are the unit kept). */
    private static final Pattern BUDGET = Pattern.compile("[0-9]{1,13}(\\.[0-9]{1,6})?");
    /** The largest budget, in credits: its millionths still fit a long many times over. */
    private static final BigDecimal MAX_BUDGET = BigDecimal.valueOf(1_000_000_000_000L);

    private final List<Entry> entries;
    /** Owner to budget in millionths of a credit; owners without a budget are absent. */
    private final Map<String, Long> budgets;

    private ApiKeys(List<Entry> entries, Map<String, Long> budgets) {
        this.entries = List.copyOf(entries);
        this.budgets = Map.copyOf(budgets);
    }

    public static ApiKeys none() {
        return new ApiKeys(List.of(), Map.of());
    }

    /**
     * Keys from a flag or environment value and a keys file. File lines are {@code key},
     * {@code owner:key} or {@code owner:key:budget}; blank lines and {@code #} comments are skipped.
     * The last field is a budget only when it is a number (credits, at most 6 decimals) or empty (no
     * budget: the escape for a key that itself ends in ":digits"); otherwise it belongs to the key, as
     * before budgets existed. A budget is its owner's: every key of that owner draws on it, and two
     * lines giving one owner different budgets are refused.
     */
    public static ApiKeys load(String singleKey, Path file) {
        List<Entry> entries = new ArrayList<>();
        Map<String, Long> budgets = new LinkedHashMap<>();
        if (singleKey != null && !singleKey.isBlank()) {
            entries.add(entry(null, singleKey.strip()));
        }
        if (file != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the API keys file " + file + ": " + e.getMessage());
            }
            for (String raw : lines) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    entries.add(entry(null, line));
                    continue;
                }
                String owner = line.substring(0, colon).strip();
                String key = line.substring(colon + 1).strip();
                int last = key.lastIndexOf(':');
                String budget = last < 0 ? null : key.substring(last + 1).strip();
                if (budget != null && (budget.isEmpty() || BUDGET.matcher(budget).matches())) {
                    key = key.substring(0, last).strip();
                } else {
                    budget = null;
                }
                Entry e = entry(owner, key);
                entries.add(e);
                if (budget != null && !budget.isEmpty()) {
                    Long micros = budgetMicros(budget);
                    Long before = budgets.putIfAbsent(e.owner, micros);
                    if (before != null && !before.equals(micros)) {
                        throw new IllegalArgumentException("the API keys file " + file + " gives owner " + e.owner + " two budgets ("
                                + BigDecimal.valueOf(before, 6).stripTrailingZeros().toPlainString() + " and " + budget + "): a budget is the owner's");
                    }
                }
            }
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("the API keys file " + file + " holds no key");
            }
        }
        for (Entry e : entries) {
            if (e.digest.length == 0) {
                throw new IllegalArgumentException("an API key is empty");
            }
        }
        return new ApiKeys(entries, budgets);
    }

    private static Long budgetMicros(String budget) {
        BigDecimal credits = new BigDecimal(budget);
        if (credits.compareTo(MAX_BUDGET) > 0) {
            throw new IllegalArgumentException("an API key's budget must be at most " + MAX_BUDGET.toPlainString() + " credits, got " + budget);
        }
        return credits.movePointRight(6).longValueExact();
    }

    private static Entry entry(String owner, String key) {
        if (key.length() < 8) {
            throw new IllegalArgumentException("API keys must have at least 8 characters");
        }
        byte[] digest = sha256(key);
        return new Entry(owner != null && !owner.isEmpty() ? owner : "key-" + HexFormat.of().formatHex(digest, 0, 8), digest);
    }

    /** Each owner's budget in millionths of a credit; owners without a budget are absent. */
    public Map<String, Long> budgets() {
        return budgets;
    }

    public boolean enabled() {
        return !entries.isEmpty();
    }

    /** The owner of a presented key, or empty when it matches none. Every key is compared, in constant time. */
    public Optional<String> owner(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] d = sha256(presented);
        String found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest, d) && found == null) {
                found = e.owner;
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
