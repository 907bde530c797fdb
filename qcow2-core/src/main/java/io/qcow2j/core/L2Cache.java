package io.qcow2j.core;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Least-recently-used cache of decoded L2 tables with a fixed byte budget, so a huge sparse image
 * never has all its tables in memory. At least one table is always kept.
 */
final class L2Cache {
    interface Loader {
        L2Table load(int l1Index) throws IOException;
    }

    private final long budget;
    private final Loader loader;
    private long held;
    private final LinkedHashMap<Integer, L2Table> tables = new LinkedHashMap<>(16, 0.75f, true);

    L2Cache(long budgetBytes, Loader loader) {
        this.budget = budgetBytes;
        this.loader = loader;
    }

    synchronized L2Table get(int l1Index) throws IOException {
        L2Table t = tables.get(l1Index);
        if (t != null) {
            return t;
        }
        t = loader.load(l1Index);
        tables.put(l1Index, t);
        held += t.bytes();
        var it = tables.entrySet().iterator();
        while (held > budget && tables.size() > 1) {
            Map.Entry<Integer, L2Table> eldest = it.next();
            held -= eldest.getValue().bytes();
            it.remove();
        }
        return t;
    }

    synchronized int size() {
        return tables.size();
    }
}
