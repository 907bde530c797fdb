package io.qcow2j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The refcount table: offsets of the refcount blocks. Reading guest data does not need refcounts,
 * but the block offsets let the reader refuse an L2 table that points into refcount metadata, and
 * {@code check} builds on it.
 *
 * @param blockOffsets the refcount block offset of every table entry (0 = none), in table order
 */
public record RefcountTable(long[] blockOffsets) {
    /** Bits 0..8 of a refcount table entry are reserved. */
    public static final long RESERVED = 0x1ffL;

    static RefcountTable read(ByteSource src, Header h) throws IOException {
        long bytes = Header.u32(h.refcountTableClusters()) * h.clusterSize();
        ByteBuffer buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.BIG_ENDIAN);
        src.readFully(buf, h.refcountTableOffset(), "refcount table");
        buf.flip();
        long fileSize = src.size();
        long[] offsets = new long[(int) (bytes / 8)];
        for (int i = 0; i < offsets.length; i++) {
            long e = buf.getLong(i * 8);
            long entryPos = h.refcountTableOffset() + 8L * i;
            if ((e & RESERVED) != 0) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos,
                        String.format("entry %d has reserved bits set (0x%016x)", i, e));
            }
            if (e == 0) {
                continue;
            }
            if ((e & (h.clusterSize() - 1)) != 0) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos,
                        "refcount block offset " + Long.toUnsignedString(e) + " is not cluster aligned");
            }
            if (e < 0 || e > fileSize - h.clusterSize()) {
                throw new InvalidImageException(src.name(), "refcount table", entryPos, "refcount block at "
                        + Long.toUnsignedString(e) + " lies past the end of the file (" + fileSize + " bytes)");
            }
            offsets[i] = e;
        }
        return new RefcountTable(offsets);
    }

    /** Sorted distinct non-zero block offsets. */
    long[] sortedBlocks() {
        return Arrays.stream(blockOffsets).filter(o -> o != 0).sorted().distinct().toArray();
    }
}
