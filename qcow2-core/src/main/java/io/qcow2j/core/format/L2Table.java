package io.qcow2j.core.format;

/**
 * One decoded, validated L2 table. Its arrays are reused by {@link L2Cache} once it is evicted, so
 * it is only valid while the cache's lock is held.
 *
 * @param hostOffset where the table is in the file
 * @param entries    the 64-bit cluster descriptors
 * @param bitmaps    the subcluster bitmaps (extended L2), or null
 */
record L2Table(long hostOffset, long[] entries, long[] bitmaps) {
    /** Heap bytes held, for the cache budget. */
    long bytes() {
        return 8L * entries.length + (bitmaps == null ? 0 : 8L * bitmaps.length) + 64;
    }
}
