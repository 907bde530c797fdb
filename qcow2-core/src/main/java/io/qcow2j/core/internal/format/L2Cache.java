package io.qcow2j.core.internal.format;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Least-recently-used cache of decoded L2 table slices with a fixed byte budget, so a huge sparse
 * image never has all its tables in memory. At least one slice is always kept. A slice is named
 * by its key: the guest cluster index of its first entry divided by the entries per slice.
 *
 * <p>An evicted slice's arrays are reused for the next slice loaded. Walking a large chain loads
 * thousands of slices that each live just long enough to be copied by a few young collections
 * before they die, so fresh arrays for each would keep the collector busy. Because arrays are
 * reused, a slice is only reachable inside {@link #read}, under the cache's lock.
 */
final class L2Cache {
    interface Loader {
        /** Reads and validates slice {@code key}, into {@code reuse}'s arrays when it is not null. */
        L2Slice load(long key, L2Slice reuse) throws IOException;
    }

    private final long budget;
    private final Loader loader;
    private long held;
    private final LinkedHashMap<Long, L2Slice> slices = new LinkedHashMap<>(16, 0.75f, true);
    /** The last evicted slice, whose arrays the next load fills. */
    private L2Slice spare;

    L2Cache(long budgetBytes, Loader loader) {
        this.budget = budgetBytes;
        this.loader = loader;
    }

    /** Applies {@code reader} to slice {@code key}, loading it if needed. */
    synchronized long read(long key, ToLongFunction<L2Slice> reader) throws IOException {
        return reader.applyAsLong(slice(key));
    }

    /** Loads slice {@code key} if it is not cached yet. */
    synchronized void load(long key) throws IOException {
        slice(key);
    }

    private L2Slice slice(long key) throws IOException {
        L2Slice s = slices.get(key);
        if (s != null) {
            return s;
        }
        L2Slice reuse = spare;
        spare = null; // a load that fails halfway leaves it half overwritten: never reuse it twice
        s = loader.load(key, reuse);
        slices.put(key, s);
        held += s.bytes();
        var it = slices.entrySet().iterator();
        while (held > budget && slices.size() > 1) {
            Map.Entry<Long, L2Slice> eldest = it.next();
            held -= eldest.getValue().bytes();
            it.remove();
            spare = eldest.getValue();
        }
        return s;
    }
}
