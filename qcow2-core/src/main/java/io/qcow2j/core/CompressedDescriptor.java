package io.qcow2j.core;

import static io.qcow2j.core.format.Layout.L2_COMPRESSED;
import static io.qcow2j.core.format.Layout.MAX_HOST_OFFSET_BITS;
import static io.qcow2j.core.format.Layout.SECTOR;
import static io.qcow2j.core.format.Layout.compressedOffsetBits;

/**
 * Where a compressed cluster's bytes are: the spec's compressed cluster descriptor split at
 * {@code x = 62 - (cluster_bits - 8)}: host offset in bits 0..x-1, number of additional 512-byte
 * sectors in bits x..61. The stored range ends on a sector boundary and may overrun the
 * compressed stream itself, so {@link #length()} is an upper bound.
 *
 * @param hostOffset byte offset of the compressed data in the image file (not aligned)
 * @param length     bytes from {@code hostOffset} to the end of the last sector it occupies
 */
public record CompressedDescriptor(long hostOffset, int length) {

    /** Decodes bits 0..61 of a compressed L2 entry. */
    public static CompressedDescriptor decode(long entry, int clusterBits) {
        int x = compressedOffsetBits(clusterBits);
        long offset = entry & ((1L << x) - 1);
        long sectors = ((entry >>> x) & ((1L << (62 - x)) - 1)) + 1;
        return new CompressedDescriptor(offset, (int) (sectors * SECTOR - (offset & (SECTOR - 1))));
    }

    /** Encodes a descriptor for {@code bytes} of compressed data at {@code offset} (tests, writers). */
    public static long encode(long offset, int bytes, int clusterBits) {
        int x = compressedOffsetBits(clusterBits);
        long extraSectors = (offset + bytes - 1) / SECTOR - offset / SECTOR;
        return L2_COMPRESSED | (extraSectors << x) | offset;
    }

    /** Host offset bits above bit 55 are invalid: qemu can address only 2^56 bytes. */
    public static boolean offsetTooLarge(long entry, int clusterBits) {
        long offset = entry & ((1L << compressedOffsetBits(clusterBits)) - 1);
        return (offset >>> MAX_HOST_OFFSET_BITS) != 0;
    }
}
