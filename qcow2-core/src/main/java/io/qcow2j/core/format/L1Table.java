package io.qcow2j.core.format;

import static io.qcow2j.core.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.format.Layout.L1_OFFSET_MASK;
import static io.qcow2j.core.format.Layout.L1_RESERVED;
import static io.qcow2j.core.format.Layout.u32;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The active L1 table (spec "Cluster mapping"): the offset of each L2 table, validated when read
 * (reserved bits, alignment, inside the file, not overlapping other metadata). Immutable.
 */
final class L1Table {
    /** The L2 table offset of every entry, 0 where there is none. */
    private final long[] offsets;

    private L1Table(long[] offsets) {
        this.offsets = offsets;
    }

    /** Reads and validates the L1 table {@code h} describes. */
    static L1Table read(ByteSource src, Header h, RefcountTable refcounts, long fileSize) throws IOException {
        int n = h.l1Size();
        ByteBuffer buf = ByteBuffer.allocate(n * ENTRY_BYTES).order(ByteOrder.BIG_ENDIAN);
        if (n > 0) {
            src.readFully(buf, h.l1TableOffset(), "L1 table");
        }
        buf.flip();
        long cs = h.clusterSize();
        long[] l1 = new long[n];
        for (int i = 0; i < n; i++) {
            long e = buf.getLong(i * ENTRY_BYTES);
            long pos = h.l1TableOffset() + (long) ENTRY_BYTES * i;
            if ((e & L1_RESERVED) != 0) {
                throw new InvalidImageException(src.name(), "L1 table", pos,
                        String.format("L1 entry %d has reserved bits set (0x%016x)", i, e));
            }
            long off = e & L1_OFFSET_MASK;
            if (off != 0) {
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
            }
            l1[i] = off;
        }
        return new L1Table(l1);
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
        return offsets.length;
    }

    /** The offset of the L2 table of entry {@code index}, or 0 when the entry has none. */
    long l2Offset(int index) {
        return offsets[index];
    }

    /** Number of entries that point to an L2 table. */
    int allocatedTables() {
        int n = 0;
        for (long o : offsets) {
            if (o != 0) {
                n++;
            }
        }
        return n;
    }
}
