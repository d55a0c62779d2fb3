package dev.parley.runtime.kv;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The KV tiers behind the slots.
 *
 * @param ramBudgetBytes host memory for saved sequences (0: no RAM tier)
 * @param diskBudgetBytes disk space for saved sequences (0: no disk tier)
 * @param diskRoot where the disk tier keeps its files (one subdirectory per model and KV layout); null: no disk tier
 * @param conversationHold how long a slot stays reserved for the conversation that last used it, while other slots are free
 * @param pinMaxShare the most of the RAM budget (of the disk budget without RAM) one owner's cache-hint pins may
 *     keep, 0..1 ({@link #DEFAULT_PIN_MAX_SHARE} by default); beyond it the owner's oldest pins lapse
 * @param shared the shared tier every replica reads, below RAM and disk; null: none
 */
public record KvSettings(long ramBudgetBytes, long diskBudgetBytes, Path diskRoot, Duration conversationHold, double pinMaxShare,
                         SharedSettings shared) {

    public static final double DEFAULT_PIN_MAX_SHARE = 0.5;

    public KvSettings {
        if (ramBudgetBytes < 0 || diskBudgetBytes < 0) {
            throw new IllegalArgumentException("KV budgets must be >= 0");
        }
        if (!(pinMaxShare >= 0 && pinMaxShare <= 1)) {
            throw new IllegalArgumentException("the pin share must be between 0 and 1, got " + pinMaxShare);
        }
        conversationHold = conversationHold == null ? Duration.ZERO : conversationHold;
    }

    public KvSettings(long ramBudgetBytes, long diskBudgetBytes, Path diskRoot, Duration conversationHold, double pinMaxShare) {
        this(ramBudgetBytes, diskBudgetBytes, diskRoot, conversationHold, pinMaxShare, null);
    }

    public KvSettings(long ramBudgetBytes, long diskBudgetBytes, Path diskRoot, Duration conversationHold) {
        this(ramBudgetBytes, diskBudgetBytes, diskRoot, conversationHold, DEFAULT_PIN_MAX_SHARE);
    }

    /** No tiers: a slot's KV is dropped when another conversation takes the slot. */
    public static final KvSettings OFF = new KvSettings(0, 0, null, Duration.ZERO);

    /** A RAM tier only. */
    public static KvSettings ram(long budgetBytes) {
        return new KvSettings(budgetBytes, 0, null, Duration.ofSeconds(5));
    }

    public boolean diskEnabled() {
        return diskRoot != null && diskBudgetBytes > 0;
    }

    public boolean enabled() {
        return ramBudgetBytes > 0 || diskEnabled();
    }

    public KvSettings withDisk(Path root, long budgetBytes) {
        return new KvSettings(ramBudgetBytes, budgetBytes, root, conversationHold, pinMaxShare, shared);
    }

    public KvSettings withHold(Duration hold) {
        return new KvSettings(ramBudgetBytes, diskBudgetBytes, diskRoot, hold, pinMaxShare, shared);
    }

    public KvSettings withPinMaxShare(double share) {
        return new KvSettings(ramBudgetBytes, diskBudgetBytes, diskRoot, conversationHold, share, shared);
    }

    /** With the shared tier {@code s} (null: none). */
    public KvSettings withShared(SharedSettings s) {
        return new KvSettings(ramBudgetBytes, diskBudgetBytes, diskRoot, conversationHold, pinMaxShare, s);
    }

    /** The most bytes of saved state one owner's pins may keep. */
    public long pinBudgetBytes() {
        return (long) ((ramBudgetBytes > 0 ? ramBudgetBytes : diskEnabled() ? diskBudgetBytes : 0) * pinMaxShare);
    }

    /** Parses sizes like {@code 8GiB}, {@code 512MiB}, {@code 2G}, {@code 1000000}; 0 is allowed. */
    public static long parseSize(String text) {
        String s = text.trim();
        int i = 0;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        if (i == 0) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 8GiB, 512MiB, 0)");
        }
        double n;
        try {
            n = Double.parseDouble(s.substring(0, i));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 8GiB, 512MiB, 0)");
        }
        long unit = switch (s.substring(i).trim().toLowerCase(java.util.Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kb", "kib" -> 1L << 10;
            case "m", "mb", "mib" -> 1L << 20;
            case "g", "gb", "gib" -> 1L << 30;
            case "t", "tb", "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException("unknown size unit in '" + text + "' (use B, KiB, MiB, GiB or TiB)");
        };
        return (long) (n * unit);
    }

    /** 1.5 GiB, 512 MiB: for logs. */
    public static String formatSize(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return bytes + " B";
    }
}
