package io.qcow2j.core.check;

import static io.qcow2j.core.internal.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.internal.format.Layout.REFTABLE_OFFSET_MASK;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The refcounts as the image stores them: refcount table entry, then refcount block, read the
 * way qemu's {@code qcow2_get_refcount} reads them (reserved bits of a table entry ignored, a
 * missing block or a table index past the table means 0, a block past the end of the file reads as
 * zeros). Decoded blocks are kept in a small LRU cache bounded in bytes.
 */
final class StoredRefcounts {
    /** Cluster budget of the block cache. */
    private static final long CACHE_BYTES = 4L << 20;

    /** The outcome of one lookup when the block cannot be read. */
    static final long UNREADABLE = Long.MIN_VALUE;

    private final ByteSource src;
    private final long fileSize;
    private final long[] table;
    private final int clusterBits;
    private final int order;
    private final int blockBits;
    private final Map<Long, ByteBuffer> cache;

    StoredRefcounts(ByteSource src, long fileSize, long[] table, int clusterBits, int refcountOrder) {
        this.src = src;
        this.fileSize = fileSize;
        this.table = table;
        this.clusterBits = clusterBits;
        this.order = refcountOrder;
        this.blockBits = clusterBits + 3 - refcountOrder;
        int maxBlocks = (int) Math.max(1, CACHE_BYTES >> clusterBits);
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
                return size() > maxBlocks;
            }
        };
    }

    /** The refcount table's raw entries (reserved bits included). */
    static long[] readTable(ByteSource src, long fileSize, Header h) throws IOException {
        // HeaderParser bounds the table to 8 MiB and checks it lies inside the file
        int bytes = (int) (Integer.toUnsignedLong(h.refcountTableClusters()) * h.clusterSize());
        ByteBuffer b = Reads.read(src, fileSize, h.refcountTableOffset(), bytes, "refcount table");
        long[] t = new long[bytes / ENTRY_BYTES];
        b.asLongBuffer().get(t);
        return t;
    }

    /** log2 of the number of refcounts in one block. */
    int blockBits() {
        return blockBits;
    }

    /** True when cluster {@code cluster}'s refcount table entry names a block (readable or not). */
    boolean hasBlock(long cluster) {
        long index = cluster >>> blockBits;
        return index < table.length && (table[(int) index] & REFTABLE_OFFSET_MASK) != 0;
    }

    /**
     * The stored refcount of cluster {@code cluster} (unsigned), or {@link #UNREADABLE} when its
     * refcount block offset is not cluster aligned or not addressable.
     */
    long get(long cluster) throws IOException {
        long index = cluster >>> blockBits;
        if (index >= table.length) {
            return 0;
        }
        long blockOffset = table[(int) index] & REFTABLE_OFFSET_MASK;
        if (blockOffset == 0) {
            return 0;
        }
        long cs = 1L << clusterBits;
        if ((blockOffset & (cs - 1)) != 0 || blockOffset < 0) {
            return UNREADABLE;
        }
        ByteBuffer block = cache.get(blockOffset);
        if (block == null) {
            block = Reads.read(src, fileSize, blockOffset, (int) cs, "refcount block");
            cache.put(blockOffset, block);
        }
        return decode(block, cluster & ((1L << blockBits) - 1), order);
    }

    /** Refcount {@code i} of a block whose entries are {@code 1 << order} bits wide. */
    static long decode(ByteBuffer block, long i, int order) {
        int idx = (int) i;
        return switch (order) {
            case 0 -> (block.get(idx >>> 3) >>> (idx & 7)) & 0x1;
            case 1 -> (block.get(idx >>> 2) >>> (2 * (idx & 3))) & 0x3;
            case 2 -> (block.get(idx >>> 1) >>> (4 * (idx & 1))) & 0xf;
            case 3 -> block.get(idx) & 0xff;
            case 4 -> block.getShort(idx * 2) & 0xffff;
            case 5 -> block.getInt(idx * 4) & 0xffff_ffffL;
            case 6 -> block.getLong(idx * 8);
            default -> throw new IllegalArgumentException("refcount_order " + order);
        };
    }
}
