package dev.parley.runtime.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * One tier's books: which entries it holds in least-recently-used order, and how many bytes of its
 * budget they take. It knows nothing of where the bytes are (a {@link TierStore} does) nor of what
 * happens to an evicted entry (its {@code evicted} callback decides: RAM demotes to disk, disk
 * deletes). The same type keeps the RAM tier and the disk tier, so both evict by the same rule.
 *
 * <p>Eviction takes entries in {@code order}, least recently used first among equals (the order
 * ranks cache-hint pins: an entry pinned until later goes later), and never one that is
 * {@code inUse} (a restore is reading it), even if the budget stays exceeded. Bytes may also be
 * {@link #reserve reserved} for an entry that is still being written, so that the budget counts it
 * before it is {@link #admitReserved admitted}. Not thread-safe: its owner locks.
 *
 * @param <E> the entries; their identity is what the tier tracks
 */
final class BudgetedTier<E> {

    private final String name;
    private final long budget;
    private final ToLongFunction<E> bytesOf;
    private final Predicate<E> inUse;
    private final Comparator<E> order;
    private final Consumer<E> evicted;
    /** Least recently used first. */
    private final LinkedHashSet<E> entries = new LinkedHashSet<>();
    /** What the entries take, plus reservations. */
    private long bytes;

    /**
     * @param bytesOf what an entry takes of this tier's budget (the same for an entry each time)
     * @param order which entries go first; ties go least recently used first
     * @param evicted called (by {@link #evict}, under the owner's lock) for each entry taken off the books
     */
    BudgetedTier(String name, long budget, ToLongFunction<E> bytesOf, Predicate<E> inUse, Comparator<E> order, Consumer<E> evicted) {
        if (budget < 0) {
            throw new IllegalArgumentException("a tier's budget must be >= 0, got " + budget);
        }
        this.name = name;
        this.budget = budget;
        this.bytesOf = bytesOf;
        this.inUse = inUse;
        this.order = order;
        this.evicted = evicted;
    }

    long budget() {
        return budget;
    }

    /** Bytes held and reserved. */
    long bytes() {
        return bytes;
    }

    int size() {
        return entries.size();
    }

    /** Whether {@code incoming} more bytes stay within the budget. */
    boolean fits(long incoming) {
        return bytes + incoming <= budget;
    }

    /** Whether an entry of {@code bytes} could fit at all (an empty tier). */
    boolean couldHold(long bytes) {
        return bytes <= budget;
    }

    /** Files {@code e} as the most recently used; the budget may be exceeded until {@link #evict}. */
    void add(E e) {
        if (entries.add(e)) {
            bytes += bytesOf.applyAsLong(e);
        }
    }

    /** Counts {@code e}'s bytes before it is on the books (being written); see {@link #admitReserved}. */
    void reserve(E e) {
        bytes += bytesOf.applyAsLong(e);
    }

    /** Gives back the bytes {@link #reserve} counted for an entry that will not be admitted. */
    void unreserve(E e) {
        bytes -= bytesOf.applyAsLong(e);
    }

    /** Files a reserved entry as the most recently used; its bytes are already counted. */
    void admitReserved(E e) {
        if (!entries.add(e)) {
            bytes -= bytesOf.applyAsLong(e); // already held: the reservation was a second count
        }
    }

    /** Takes {@code e} off the books (no callback); false when the tier did not hold it. */
    boolean remove(E e) {
        if (entries.remove(e)) {
            bytes -= bytesOf.applyAsLong(e);
            return true;
        }
        return false;
    }

    /** Marks {@code e} the most recently used, if the tier holds it. */
    void touch(E e) {
        if (entries.remove(e)) {
            entries.add(e);
        }
    }

    /**
     * Evicts entries in order, skipping those in use, until {@code incoming} more bytes fit or nothing
     * more can go; each one goes to the callback after it is off the books.
     *
     * @return how many were evicted
     */
    int evict(long incoming) {
        if (fits(incoming)) {
            return 0;
        }
        List<E> candidates = new ArrayList<>(entries);
        candidates.sort(order); // stable: equals stay least recently used first
        int n = 0;
        for (E e : candidates) {
            if (fits(incoming)) {
                break;
            }
            if (inUse.test(e)) {
                continue;
            }
            entries.remove(e);
            bytes -= bytesOf.applyAsLong(e);
            n++;
            evicted.accept(e);
        }
        return n;
    }

    /** Takes every entry off the books (no callbacks); least recently used first. Reservations stay. */
    List<E> drain() {
        List<E> all = new ArrayList<>(entries);
        for (E e : all) {
            bytes -= bytesOf.applyAsLong(e);
        }
        entries.clear();
        return all;
    }

    @Override
    public String toString() {
        return name + "[" + entries.size() + " entries, " + bytes + " of " + budget + " bytes]";
    }
}
