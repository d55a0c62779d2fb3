package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tier type both KV tiers use, on plain items: eviction order, pins, budget accounting, demotion. No natives, no files. */
class BudgetedTierTest {

    /** An entry as a tier sees it: a size, whether a reader holds it, and a cache-hint expiry (0: none). */
    private static final class Item {
        final String name;
        final long bytes;
        boolean inUse;
        long pinnedUntil;
        boolean named;

        Item(String name, long bytes) {
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final Comparator<Item> UNPINNED_FIRST = Comparator.comparingLong(i -> i.pinnedUntil);
    /** As the RAM tier ranks: anonymous, then named, then pinned by expiry. */
    private static final Comparator<Item> ANONYMOUS_FIRST =
            Comparator.comparingInt((Item i) -> i.pinnedUntil > 0 ? 2 : i.named ? 1 : 0).thenComparingLong(i -> i.pinnedUntil);

    private final List<Item> evicted = new ArrayList<>();

    private BudgetedTier<Item> tier(long budget, Comparator<Item> order) {
        return new BudgetedTier<>("test", budget, i -> i.bytes, i -> i.inUse, order, evicted::add);
    }

    private static List<Item> items(int n, long bytes) {
        List<Item> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new Item("e" + i, bytes));
        }
        return out;
    }

    @Test
    void theLeastRecentlyUsedGoFirstAndATouchMovesAnEntryToTheBack() {
        BudgetedTier<Item> t = tier(300, UNPINNED_FIRST);
        List<Item> e = items(5, 100);
        t.add(e.get(0));
        t.add(e.get(1));
        t.add(e.get(2));
        assertEquals(0, t.evict(0), "within budget: nothing goes");
        t.touch(e.get(0)); // order now e2, e3, e1
        t.add(e.get(3));
        assertEquals(1, t.evict(0));
        t.add(e.get(4));
        assertEquals(1, t.evict(0));
        assertEquals(List.of(e.get(1), e.get(2)), evicted);
        assertEquals(3, t.size());
        assertEquals(300, t.bytes());
        assertEquals(List.of(e.get(0), e.get(3), e.get(4)), t.drain(), "drained least recently used first");
    }

    @Test
    void evictionMakesRoomForIncomingBytesAndStopsAsSoonAsTheyFit() {
        BudgetedTier<Item> t = tier(500, UNPINNED_FIRST);
        List<Item> e = items(5, 100);
        e.forEach(t::add);
        assertTrue(t.fits(0));
        assertFalse(t.fits(250));
        assertEquals(3, t.evict(250), "three of 100 bytes make room for 250");
        assertEquals(List.of(e.get(0), e.get(1), e.get(2)), evicted);
        assertEquals(200, t.bytes());
        assertTrue(t.fits(250) && t.fits(300) && !t.fits(301));
    }

    @Test
    void anEntryInUseIsNeverEvictedEvenIfTheBudgetStaysExceeded() {
        BudgetedTier<Item> t = tier(100, UNPINNED_FIRST);
        Item reading = new Item("reading", 100);
        Item other = new Item("other", 100);
        reading.inUse = true;
        t.add(reading);
        t.add(other);
        t.evict(0);
        assertEquals(List.of(other), evicted, "the older one is in use: the newer goes");
        Item third = new Item("third", 100);
        t.add(third);
        third.inUse = true;
        assertEquals(0, t.evict(0), "both in use: nothing can go");
        assertEquals(200, t.bytes(), "over budget until a reader lets go");
        reading.inUse = false;
        assertEquals(1, t.evict(0));
        assertEquals(List.of(other, reading), evicted);
    }

    @Test
    void pinnedEntriesGoLastEarliestExpiryFirst() {
        BudgetedTier<Item> t = tier(300, UNPINNED_FIRST);
        Item late = new Item("late", 100);
        Item early = new Item("early", 100);
        Item plain = new Item("plain", 100);
        late.pinnedUntil = 2_000;
        early.pinnedUntil = 1_000;
        t.add(late);
        t.add(early);
        t.add(plain); // the most recently used, yet the first to go
        t.evict(200);
        assertEquals(List.of(plain, early), evicted);
        t.evict(300);
        assertEquals(List.of(plain, early, late), evicted);
        assertEquals(0, t.bytes());
    }

    @Test
    void anOrderWithRanksKeepsNamedEntriesAfterAnonymousOnesAndPinsAfterBoth() {
        BudgetedTier<Item> t = tier(1_000, ANONYMOUS_FIRST);
        Item pinned = new Item("pinned", 100);
        pinned.pinnedUntil = 5;
        Item named1 = new Item("named1", 100);
        named1.named = true;
        Item anon1 = new Item("anon1", 100);
        Item named2 = new Item("named2", 100);
        named2.named = true;
        Item anon2 = new Item("anon2", 100);
        for (Item i : List.of(pinned, named1, anon1, named2, anon2)) {
            t.add(i);
        }
        t.evict(1_000);
        assertEquals(List.of(anon1, anon2, named1, named2, pinned), evicted);
    }

    @Test
    void theOrderIsReadAtEvictionTimeSoAPinGivenLaterCounts() {
        BudgetedTier<Item> t = tier(100, UNPINNED_FIRST);
        Item older = new Item("older", 100);
        Item newer = new Item("newer", 100);
        t.add(older);
        t.add(newer);
        older.pinnedUntil = 10; // marked by the owner before it evicts
        t.evict(0);
        assertEquals(List.of(newer), evicted);
    }

    @Test
    void reservationsCountAgainstTheBudgetUntilAdmittedOrGivenBack() {
        BudgetedTier<Item> t = tier(300, UNPINNED_FIRST);
        Item held = new Item("held", 100);
        Item writing = new Item("writing", 150);
        Item failed = new Item("failed", 50);
        t.add(held);
        t.reserve(writing);
        t.reserve(failed);
        assertEquals(300, t.bytes());
        assertEquals(1, t.size(), "reserved entries are not on the books yet");
        assertFalse(t.fits(1));
        t.unreserve(failed);
        assertEquals(250, t.bytes());
        t.admitReserved(writing);
        assertEquals(2, t.size());
        assertEquals(250, t.bytes(), "admitting does not count it twice");
        t.add(writing); // already held: no second count
        assertEquals(250, t.bytes());
        assertTrue(t.remove(writing));
        assertFalse(t.remove(writing), "not held any more");
        assertEquals(100, t.bytes());
        t.reserve(writing);
        assertEquals(List.of(held), t.drain());
        assertEquals(150, t.bytes(), "a reservation outlives a drain: its write is still running");
    }

    @Test
    void removeAndTouchIgnoreEntriesTheTierDoesNotHold() {
        BudgetedTier<Item> t = tier(100, UNPINNED_FIRST);
        Item stranger = new Item("stranger", 40);
        t.touch(stranger);
        assertFalse(t.remove(stranger));
        assertEquals(0, t.size());
        assertEquals(0, t.bytes());
    }

    @Test
    void anEntryLargerThanTheBudgetCannotBeHeldAndANegativeBudgetIsRefused() {
        BudgetedTier<Item> t = tier(100, UNPINNED_FIRST);
        assertTrue(t.couldHold(100));
        assertFalse(t.couldHold(101));
        assertFalse(tier(0, UNPINNED_FIRST).couldHold(1), "a zero budget: no tier");
        assertThrows(IllegalArgumentException.class, () -> tier(-1, UNPINNED_FIRST));
    }

    /**
     * The chain the KV tiers build: RAM's eviction callback demotes into a smaller-per-byte disk tier,
     * whose own eviction deletes. Both keep their budgets, and what leaves RAM arrives on disk in LRU order.
     */
    @Test
    void ramEvictionsDemoteIntoADiskTierThatEvictsInTurn() {
        List<Item> deleted = new ArrayList<>();
        BudgetedTier<Item> disk = new BudgetedTier<>("disk", 250, i -> i.bytes + 10, i -> i.inUse, UNPINNED_FIRST, deleted::add);
        List<Item> demoted = new ArrayList<>();
        BudgetedTier<Item> ram = new BudgetedTier<>("ram", 200, i -> i.bytes, i -> i.inUse, UNPINNED_FIRST, i -> {
            demoted.add(i);
            disk.evict(i.bytes + 10);
            disk.add(i);
        });
        List<Item> e = items(6, 100);
        for (Item i : e) {
            ram.add(i);
            ram.evict(0);
            assertTrue(ram.bytes() <= 200 && disk.bytes() <= 250, ram + " " + disk);
        }
        assertEquals(List.of(e.get(0), e.get(1), e.get(2), e.get(3)), demoted);
        assertEquals(List.of(e.get(0), e.get(1)), deleted, "disk holds two files of 110 bytes: the oldest demoted go");
        assertEquals(220, disk.bytes());
        assertEquals(List.of(e.get(2), e.get(3)), disk.drain());
        assertEquals(List.of(e.get(4), e.get(5)), ram.drain());
    }
}
