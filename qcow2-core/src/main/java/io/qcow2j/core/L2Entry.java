package io.qcow2j.core;

import static io.qcow2j.core.format.Layout.L2_COMPRESSED;
import static io.qcow2j.core.format.Layout.L2_OFFSET_MASK;
import static io.qcow2j.core.format.Layout.L2_ZERO;
import static io.qcow2j.core.format.Layout.COPIED;
import static io.qcow2j.core.format.Layout.SUBCLUSTER_ZERO_SHIFT;

/**
 * Decoding of one L2 entry, standard (64-bit) or extended (64-bit descriptor plus a 64-bit
 * subcluster bitmap). Pure functions over the raw words so the hot path allocates nothing.
 */
public final class L2Entry {
    private L2Entry() {
    }

    public static boolean isCompressed(long entry) {
        return (entry & L2_COMPRESSED) != 0;
    }

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
}
