package io.qcow2j.core.internal.format;

/**
 * A slice of one L2 table, decoded and validated: a run of consecutive entries, the unit of the
 * {@link L2Cache} (qemu's l2-cache-entry-size idea), so a composition window holds a slice per
 * image, not a whole table. Its arrays are reused by the cache once it is evicted, so it is only
 * valid while the cache's lock is held.
 *
 * @param entries the 64-bit cluster descriptors
 * @param bitmaps the subcluster bitmaps (extended L2), or null
 */
record L2Slice(long[] entries, long[] bitmaps) {
    /** Heap bytes of the record, its array headers and its cache entry and key, beyond the arrays. */
    private static final long OVERHEAD = 128;

    /** Heap bytes held, for the cache budget. */
    long bytes() {
        return heapBytes(entries.length, bitmaps != null);
    }

    /** Heap bytes a slice of {@code entries} entries holds. */
    static long heapBytes(int entries, boolean extendedL2) {
        return (extendedL2 ? 16L : 8L) * entries + OVERHEAD;
    }
}
