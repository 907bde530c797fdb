package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.internal.format.Layout.L1_OFFSET_MASK;
import static io.qcow2j.core.internal.format.Layout.L1_RESERVED;
import static io.qcow2j.core.internal.format.Layout.u32;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;

/**
 * The active L1 table (spec "Cluster mapping"): the offset of each L2 table, validated when read
 * (reserved bits, alignment, inside the file, not overlapping other metadata). Immutable.
 *
 * <p>Kept in pages of {@link #PAGE_ENTRIES} entries, only the pages that point to an L2 table, and
 * read in chunks: most of a large image's L1 table is zero (a legal 2 PiB image has a 32 MiB one),
 * so memory follows the allocated entries, not the virtual size.
 */
final class L1Table {
    private static final int PAGE_BITS = 9;
    private static final int PAGE_ENTRIES = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_ENTRIES - 1;

    private final int size;
    /** The L2 table offsets, page by page; null for a page without any. */
    private final long[][] pages;
    private final int allocated;

    private L1Table(int size, long[][] pages, int allocated) {
        this.size = size;
        this.pages = pages;
        this.allocated = allocated;
    }

    /** Reads and validates the L1 table {@code h} describes. */
    static L1Table read(ByteSource src, Header h, RefcountTable refcounts, long fileSize) throws IOException {
        int n = h.l1Size();
        long[][] pages = new long[pageCount(n)][];
        long cs = h.clusterSize();
        int[] allocated = {0};
        TableScan.forEachNonZero(src, h.l1TableOffset(), n, "L1 table", (i, e) -> {
            long pos = h.l1TableOffset() + (long) ENTRY_BYTES * i;
            if ((e & L1_RESERVED) != 0) {
                throw new InvalidImageException(src.name(), "L1 table", pos,
                        String.format("L1 entry %d has reserved bits set (0x%016x)", i, e));
            }
            long off = e & L1_OFFSET_MASK;
            if (off == 0) {
                return;
            }
            if ((off & (cs - 1)) != 0) {
                throw new InvalidImageException(src.name(), "L1 table", pos,
                        "L2 table offset " + off + " (L1 entry " + i + ") is not cluster aligned");
            }
            if (off > fileSize - cs) {
                throw new InvalidImageException(src.name(), "L1 table", pos, "L2 table at " + off + " (L1 entry "
                        + i + ") ends past the end of the file (" + fileSize + " bytes; truncated image?)");
            }
            String overlap = overlap(h, refcounts, off);
            if (overlap != null) {
                throw new InvalidImageException(src.name(), "L1 table", pos,
                        "L2 table at " + off + " (L1 entry " + i + ") overlaps the " + overlap);
            }
            int p = i >>> PAGE_BITS;
            if (pages[p] == null) {
                pages[p] = new long[Math.min(PAGE_ENTRIES, n - (p << PAGE_BITS))];
            }
            pages[p][i & PAGE_MASK] = off;
            allocated[0]++;
        });
        return new L1Table(n, pages, allocated[0]);
    }

    /** Pages of a table of {@code entries} entries. */
    static int pageCount(int entries) {
        return (entries + PAGE_MASK) >>> PAGE_BITS;
    }

    /** The page that holds entry {@code index}. */
    static int pageOf(int index) {
        return index >>> PAGE_BITS;
    }

    /**
     * Heap bytes a table of {@code entries} entries holds with {@code allocatedPages} pages that
     * point to L2 tables (each counted whole): what {@link #heapBytes()} is, known before reading.
     */
    static long heapBytes(int entries, long allocatedPages) {
        return 16 + 8L * pageCount(entries) + allocatedPages * (16 + 8L * PAGE_ENTRIES);
    }

    /** Which metadata structure the cluster at {@code off} belongs to, or null. */
    private static String overlap(Header h, RefcountTable refcounts, long off) {
        long cs = h.clusterSize();
        if (off < cs) {
            return "header";
        }
        long l1Start = h.l1TableOffset();
        long l1End = l1Start + (long) ENTRY_BYTES * h.l1Size();
        if (off < l1End && off + cs > l1Start) {
            return "L1 table";
        }
        long rtStart = h.refcountTableOffset();
        long rtEnd = rtStart + u32(h.refcountTableClusters()) * cs;
        if (off < rtEnd && off + cs > rtStart) {
            return "refcount table";
        }
        if (refcounts.isBlock(off)) {
            return "refcount block";
        }
        return null;
    }

    /** Number of entries. */
    int size() {
        return size;
    }

    /** The offset of the L2 table of entry {@code index}, or 0 when the entry has none. */
    long l2Offset(int index) {
        if (index >= size) {
            return 0;
        }
        long[] page = pages[index >>> PAGE_BITS];
        return page == null ? 0 : page[index & PAGE_MASK];
    }

    /**
     * The first entry in [{@code from}, {@code to}) that points to an L2 table, or {@code to} when
     * none does. Skips a page without tables at once, so walking a huge, nearly empty disk costs
     * its allocated entries, not its size.
     */
    int nextAllocated(int from, int to) {
        int end = Math.min(to, size);
        int i = from;
        while (i < end) {
            long[] page = pages[i >>> PAGE_BITS];
            int pageEnd = Math.min(end, ((i >>> PAGE_BITS) + 1) << PAGE_BITS);
            if (page != null) {
                for (; i < pageEnd; i++) {
                    if (page[i & PAGE_MASK] != 0) {
                        return i;
                    }
                }
            }
            i = pageEnd;
        }
        return to;
    }

    /** Number of entries that point to an L2 table. */
    int allocatedTables() {
        return allocated;
    }

    /** Heap bytes this table holds (its pages and the page index). */
    long heapBytes() {
        long allocatedPages = 0;
        for (long[] page : pages) {
            if (page != null) {
                allocatedPages++;
            }
        }
        return heapBytes(size, allocatedPages);
    }
}
