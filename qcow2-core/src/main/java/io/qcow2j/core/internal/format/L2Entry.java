package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.COPIED;
import static io.qcow2j.core.internal.format.Layout.L2_COMPRESSED;
import static io.qcow2j.core.internal.format.Layout.L2_OFFSET_MASK;
import static io.qcow2j.core.internal.format.Layout.L2_ZERO;
import static io.qcow2j.core.internal.format.Layout.MAX_HOST_OFFSET_BITS;
import static io.qcow2j.core.internal.format.Layout.SECTOR;
import static io.qcow2j.core.internal.format.Layout.SUBCLUSTER_ZERO_SHIFT;
import static io.qcow2j.core.internal.format.Layout.compressedOffsetBits;

import io.qcow2j.core.CompressedDescriptor;

/**
 * Decoding of one L2 entry, standard (64-bit) or extended (64-bit descriptor plus a 64-bit
 * subcluster bitmap), and of the compressed cluster descriptor a compressed entry holds. Pure
 * functions over the raw words so the hot path allocates nothing but the descriptor. Internal, not
 * API.
 */
public final class L2Entry {
    private L2Entry() {
    }

    public static boolean isCompressed(long entry) {
        return (entry & L2_COMPRESSED) != 0;
    }

    /** The host cluster offset of a standard entry. */
    public static long hostOffset(long entry) {
        return entry & L2_OFFSET_MASK;
    }

    /** Allocation bitmap (bits 0..31) of an extended entry's second word. */
    public static int allocBits(long bitmap) {
        return (int) bitmap;
    }

    /** Zero bitmap (bits 32..63) of an extended entry's second word. */
    public static int zeroBits(long bitmap) {
        return (int) (bitmap >>> SUBCLUSTER_ZERO_SHIFT);
    }

    /** Encodes a standard entry (used by tests and by tools that build images). */
    public static long standard(long hostOffset, boolean zero, boolean copied) {
        return (hostOffset & L2_OFFSET_MASK) | (zero ? L2_ZERO : 0) | (copied ? COPIED : 0);
    }

    /** Decodes bits 0..61 of a compressed entry: where the compressed bytes are. */
    public static CompressedDescriptor compressedDescriptor(long entry, int clusterBits) {
        int x = compressedOffsetBits(clusterBits);
        long offset = entry & ((1L << x) - 1);
        long sectors = ((entry >>> x) & ((1L << (62 - x)) - 1)) + 1;
        return new CompressedDescriptor(offset, (int) (sectors * SECTOR - (offset & (SECTOR - 1))));
    }

    /** Encodes a compressed entry for {@code bytes} of compressed data at {@code offset} (tests, writers). */
    public static long encodeCompressed(long offset, int bytes, int clusterBits) {
        int x = compressedOffsetBits(clusterBits);
        long extraSectors = (offset + bytes - 1) / SECTOR - offset / SECTOR;
        return L2_COMPRESSED | (extraSectors << x) | offset;
    }

    /** Host offset bits above bit 55 are invalid: qemu can address only 2^56 bytes. */
    public static boolean compressedOffsetTooLarge(long entry, int clusterBits) {
        long offset = entry & ((1L << compressedOffsetBits(clusterBits)) - 1);
        return (offset >>> MAX_HOST_OFFSET_BITS) != 0;
    }
}
