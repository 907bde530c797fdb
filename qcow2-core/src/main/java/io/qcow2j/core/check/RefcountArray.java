package io.qcow2j.core.check;

import io.qcow2j.core.Header;
import io.qcow2j.core.Qcow2Exception;

/**
 * The reference counts rebuilt from the metadata, packed at the image's own refcount width
 * (1..64 bits) so it costs what the image's refcount blocks cost, as in qemu. Its capacity is
 * fixed at construction from the file size; a count is never wider than the image's refcounts
 * ({@link #max()} saturates, which the caller reports as an overflow).
 */
final class RefcountArray {
    private final int order;
    private final long max;
    private final long[] words;
    private final long capacity;
    private long size;

    /**
     * @param order    refcount_order (refcount width is {@code 1 << order} bits)
     * @param size     initial number of entries
     * @param capacity entries it can ever hold
     */
    RefcountArray(int order, long size, long capacity) {
        this.order = order;
        this.max = order == 6 ? -1L : (1L << (1 << order)) - 1;
        this.capacity = capacity;
        this.size = size;
        this.words = new long[(int) words(order, capacity)];
    }

    /**
     * The array for checking a file of {@code fileSize} bytes: one entry per cluster, room for one
     * more (a reference may reach one cluster past the end of the file, qemu's rule).
     *
     * @throws Qcow2Exception when the file has more clusters than qemu checks, or the array would
     *                        take more than half the heap
     */
    static RefcountArray forFile(String name, Header h, long fileSize) throws Qcow2Exception {
        long cs = h.clusterSize();
        long nbClusters = fileSize / cs + (fileSize % cs == 0 ? 0 : 1);
        if (nbClusters > Integer.MAX_VALUE) {
            throw new Qcow2Exception(name, null, -1, "file of " + fileSize
                    + " bytes has too many clusters to check (qemu's limit is " + Integer.MAX_VALUE + ")");
        }
        long capacity = nbClusters + 1;
        long bytes = words(h.refcountOrder(), capacity) * 8;
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap / 2) {
            throw new Qcow2Exception(name, null, -1, "checking " + nbClusters + " clusters of "
                    + h.refcountBits() + "-bit refcounts needs " + (bytes >> 20) + " MiB of heap, more than half of "
                    + (heap >> 20) + " MiB available (raise -Xmx)");
        }
        return new RefcountArray(h.refcountOrder(), nbClusters, capacity);
    }

    /** Heap words needed for {@code capacity} entries of width {@code 1 << order}. */
    static long words(int order, long capacity) {
        return ((capacity << order) + 63) >>> 6;
    }

    /** Largest storable count, as an unsigned value (-1 = 2^64-1 for 64-bit refcounts). */
    long max() {
        return max;
    }

    long size() {
        return size;
    }

    long capacity() {
        return capacity;
    }

    /** Grows the logical size to {@code n} entries (within the capacity); new entries are 0. */
    void ensureSize(long n) {
        if (n > capacity) {
            throw new IllegalStateException("refcount array capacity " + capacity + " exceeded: " + n);
        }
        size = Math.max(size, n);
    }

    long get(long i) {
        if (i >= size) {
            return 0;
        }
        if (order == 6) {
            return words[(int) i];
        }
        int perWordBits = 6 - order;
        long w = words[(int) (i >>> perWordBits)];
        int shift = (int) (i & ((1 << perWordBits) - 1)) << order;
        return (w >>> shift) & max;
    }

    /** True when entries {@code [from, to)} are all 0; whole words at a time where it can. */
    boolean allZero(long from, long to) {
        int perWordBits = 6 - order;
        long perWord = 1L << perWordBits;
        long end = Math.min(to, size);
        long i = from;
        while (i < end) {
            if ((i & (perWord - 1)) == 0 && i + perWord <= end) {
                if (words[(int) (i >>> perWordBits)] != 0) {
                    return false;
                }
                i += perWord;
            } else {
                if (get(i) != 0) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    void set(long i, long value) {
        if (order == 6) {
            words[(int) i] = value;
            return;
        }
        int perWordBits = 6 - order;
        int idx = (int) (i >>> perWordBits);
        int shift = (int) (i & ((1 << perWordBits) - 1)) << order;
        words[idx] = (words[idx] & ~(max << shift)) | ((value & max) << shift);
    }
}
