package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.internal.format.Layout.REFTABLE_RESERVED;
import static io.qcow2j.core.internal.format.Layout.u32;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;
import java.util.Arrays;

/**
 * The refcount table (spec "Host cluster management"): where the refcount blocks are. Reading
 * guest data does not need refcounts, but the block offsets let the reader refuse an L2 table that
 * points into refcount metadata. Only the block offsets are kept.
 */
final class RefcountTable {
    /** Distinct non-zero refcount block offsets, sorted. */
    private final long[] blocks;

    private RefcountTable(long[] blocks) {
        this.blocks = blocks;
    }

    /** Reads and validates the refcount table {@code h} describes. */
    static RefcountTable read(ByteSource src, Header h, long fileSize) throws IOException {
        long[][] blocks = {new long[8]};
        int[] count = {0};
        TableScan.forEachNonZero(src, h.refcountTableOffset(), entries(h), "refcount table", (i, e) -> {
            long entryPos = h.refcountTableOffset() + (long) ENTRY_BYTES * i;
            if ((e & REFTABLE_RESERVED) != 0) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos,
                        String.format("entry %d has reserved bits set (0x%016x)", i, e));
            }
            if ((e & (h.clusterSize() - 1)) != 0) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos,
                        "refcount block offset " + Long.toUnsignedString(e) + " is not cluster aligned");
            }
            if (e < 0 || e > fileSize - h.clusterSize()) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos, "refcount block at "
                        + Long.toUnsignedString(e) + " lies past the end of the file (" + fileSize + " bytes)");
            }
            if (count[0] == blocks[0].length) {
                blocks[0] = Arrays.copyOf(blocks[0], 2 * count[0]);
            }
            blocks[0][count[0]++] = e;
        });
        return new RefcountTable(sortedDistinct(blocks[0], count[0]));
    }

    /** Entries of the refcount table {@code h} describes. */
    static int entries(Header h) {
        return (int) (u32(h.refcountTableClusters()) * h.clusterSize() / ENTRY_BYTES);
    }

    /** True when a refcount block starts at {@code offset}. */
    boolean isBlock(long offset) {
        return Arrays.binarySearch(blocks, offset) >= 0;
    }

    /** Heap bytes this table holds. */
    long heapBytes() {
        return heapBytes(blocks.length);
    }

    /** Heap bytes a table with {@code blocks} refcount blocks holds, known before reading it. */
    static long heapBytes(long blocks) {
        return 16 + 8 * blocks;
    }

    /**
     * The first {@code n} offsets, sorted, each once. Plain loops, not a stream: every image of a
     * chain runs this once while the JVM is still cold, where a stream pipeline costs more than
     * reading the table.
     */
    private static long[] sortedDistinct(long[] offsets, int n) {
        Arrays.sort(offsets, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || offsets[i] != offsets[distinct - 1]) {
                offsets[distinct++] = offsets[i];
            }
        }
        return Arrays.copyOf(offsets, distinct);
    }
}
