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
    /** Entries read at once: the table may be 8 MiB, of which only the block offsets are kept. */
    private static final int READ_CHUNK = 8192;

    /** Distinct non-zero refcount block offsets, sorted. */
    private final long[] blocks;

    private RefcountTable(long[] blocks) {
        this.blocks = blocks;
    }

    /** Reads and validates the refcount table {@code h} describes. */
    static RefcountTable read(ByteSource src, Header h, long fileSize) throws IOException {
        int n = (int) (u32(h.refcountTableClusters()) * h.clusterSize() / ENTRY_BYTES);
        int chunk = Math.min(n, READ_CHUNK);
        ByteBuffer buf = ByteBuffer.allocate(chunk * ENTRY_BYTES).order(ByteOrder.BIG_ENDIAN);
        long[] words = new long[chunk];
        long[] blocks = new long[8];
        int count = 0;
        for (int first = 0; first < n; first += chunk) {
            int len = Math.min(chunk, n - first);
            buf.clear().limit(len * ENTRY_BYTES);
            src.readFully(buf, h.refcountTableOffset() + (long) first * ENTRY_BYTES, "refcount table");
            buf.flip();
            // one bulk byte-swapping copy: a bounds-checked getLong per entry is slow on the cold JVM
            // that opens a chain (most entries are zero and need nothing else)
            buf.asLongBuffer().get(words, 0, len);
            for (int j = 0; j < len; j++) {
                long e = words[j];
                if (e == 0) {
                    continue;
                }
                long entryPos = h.refcountTableOffset() + (long) ENTRY_BYTES * (first + j);
                if ((e & REFTABLE_RESERVED) != 0) {
                    throw new InvalidImageException(src.name(), "refcount table", entryPos,
                            String.format("entry %d has reserved bits set (0x%016x)", first + j, e));
                }
                if ((e & (h.clusterSize() - 1)) != 0) {
                    throw new InvalidImageException(src.name(), "refcount table", entryPos,
                            "refcount block offset " + Long.toUnsignedString(e) + " is not cluster aligned");
                }
                if (e < 0 || e > fileSize - h.clusterSize()) {
                    throw new InvalidImageException(src.name(), "refcount table", entryPos, "refcount block at "
                            + Long.toUnsignedString(e) + " lies past the end of the file (" + fileSize + " bytes)");
                }
                if (count == blocks.length) {
                    blocks = Arrays.copyOf(blocks, 2 * count);
                }
                blocks[count++] = e;
            }
        }
        return new RefcountTable(sortedDistinct(blocks, count));
    }

    /** True when a refcount block starts at {@code offset}. */
    boolean isBlock(long offset) {
        return Arrays.binarySearch(blocks, offset) >= 0;
    }

    /** Heap bytes this table holds. */
    long heapBytes() {
        return 16 + 8L * blocks.length;
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
