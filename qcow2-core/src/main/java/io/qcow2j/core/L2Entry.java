package io.qcow2j.core;

/**
 * Decoding of one L2 entry, standard (64-bit) or extended (64-bit descriptor plus a 64-bit
 * subcluster bitmap). Pure functions over the raw words so the hot path allocates nothing.
 */
public final class L2Entry {
    /** Bit 63: refcount is exactly one (OFLAG_COPIED); irrelevant for reading. */
    public static final long COPIED = 1L << 63;
    /** Bit 62: the cluster is compressed. */
    public static final long COMPRESSED = 1L << 62;
    /** Bit 0: the cluster reads as zeros (version 3, standard entries). */
    public static final long ZERO = 1L;
    /** Bits 9..55: host cluster offset of a standard cluster. */
    public static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Reserved bits of a standard cluster descriptor: 1..8 and 56..61. */
    public static final long STANDARD_RESERVED = 0x3f00_0000_0000_01feL;
    public static final int SUBCLUSTERS = 32;

    private L2Entry() {
    }

    public static boolean isCompressed(long entry) {
        return (entry & COMPRESSED) != 0;
    }

    public static long hostOffset(long entry) {
        return entry & OFFSET_MASK;
    }

    /** Allocation bitmap (bits 0..31) of an extended entry's second word. */
    public static int allocBits(long bitmap) {
        return (int) bitmap;
    }

    /** Zero bitmap (bits 32..63) of an extended entry's second word. */
    public static int zeroBits(long bitmap) {
        return (int) (bitmap >>> 32);
    }

    /** Encodes a standard entry (used by tests and by tools that build images). */
    public static long standard(long hostOffset, boolean zero, boolean copied) {
        return (hostOffset & OFFSET_MASK) | (zero ? ZERO : 0) | (copied ? COPIED : 0);
    }
}
