package io.qcow2j.core.format;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Least-recently-used cache of decoded L2 tables with a fixed byte budget, so a huge sparse image
 * never has all its tables in memory. At least one table is always kept.
 *
 * <p>An evicted table's arrays are reused for the next table loaded. Walking a large chain loads
 * thousands of tables that each live just long enough to be copied by a few young collections
 * before they die, so fresh arrays for each would keep the collector busy. Because arrays are
 * reused, a table is only reachable inside {@link #read}, under the cache's lock.
 */
final class L2Cache {
    interface Loader {
        /**
         * Reads and validates the table of L1 entry {@code l1Index}, into {@code reuse}'s arrays
         * when it is not null.
         */
        L2Table load(int l1Index, L2Table reuse) throws IOException;
    }

    private final long budget;
    private final Loader loader;
    private long held;
    private final LinkedHashMap<Integer, L2Table> tables = new LinkedHashMap<>(16, 0.75f, true);
    /** The last evicted table, whose arrays the next load fills. */
    private L2Table spare;

    L2Cache(long budgetBytes, Loader loader) {
        this.budget = budgetBytes;
        this.loader = loader;
    }

    /** Applies {@code reader} to the table of L1 entry {@code l1Index}, loading it if needed. */
    synchronized long read(int l1Index, ToLongFunction<L2Table> reader) throws IOException {
        return reader.applyAsLong(table(l1Index));
    }

    /** Loads the table of L1 entry {@code l1Index} if it is not cached yet. */
    synchronized void load(int l1Index) throws IOException {
        table(l1Index);
    }

    private L2Table table(int l1Index) throws IOException {
        L2Table t = tables.get(l1Index);
        if (t != null) {
            return t;
        }
        L2Table reuse = spare;
        spare = null; // a load that fails halfway leaves it half overwritten: never reuse it twice
        t = loader.load(l1Index, reuse);
        tables.put(l1Index, t);
        held += t.bytes();
        var it = tables.entrySet().iterator();
        while (held > budget && tables.size() > 1) {
            Map.Entry<Integer, L2Table> eldest = it.next();
            held -= eldest.getValue().bytes();
            it.remove();
            spare = eldest.getValue();
        }
        return t;
    }
}
