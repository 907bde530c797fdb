package io.qcow2j.core.format;

import static io.qcow2j.core.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.format.Layout.REFTABLE_RESERVED;
import static io.qcow2j.core.format.Layout.u32;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        long bytes = u32(h.refcountTableClusters()) * h.clusterSize();
        ByteBuffer buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.BIG_ENDIAN);
        src.readFully(buf, h.refcountTableOffset(), "refcount table");
        buf.flip();
        long[] offsets = new long[(int) (bytes / ENTRY_BYTES)];
        // one bulk byte-swapping copy: a bounds-checked getLong per entry is slow on the cold JVM
        // that opens a chain (most entries are zero and need nothing else)
        buf.asLongBuffer().get(offsets);
        for (int i = 0; i < offsets.length; i++) {
            long e = offsets[i];
            if (e == 0) {
                continue;
            }
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
        }
        return new RefcountTable(sortedBlocks(offsets));
    }

    /** True when a refcount block starts at {@code offset}. */
    boolean isBlock(long offset) {
        return Arrays.binarySearch(blocks, offset) >= 0;
    }

    /**
     * Sorted distinct non-zero block offsets. Plain loops, not a stream: every image of a chain runs
     * this once while the JVM is still cold, where a stream pipeline costs more than reading the
     * table.
     */
    private static long[] sortedBlocks(long[] blockOffsets) {
        // one pass: a table has few blocks (one per 2 GiB of a 64 KiB-cluster image's file)
        long[] sorted = new long[8];
        int n = 0;
        for (long o : blockOffsets) {
            if (o != 0) {
                if (n == sorted.length) {
                    sorted = Arrays.copyOf(sorted, 2 * n);
                }
                sorted[n++] = o;
            }
        }
        Arrays.sort(sorted, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || sorted[i] != sorted[distinct - 1]) {
                sorted[distinct++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, distinct);
    }
}
