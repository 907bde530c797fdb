package io.qcow2j.core;

/**
 * A run of guest bytes of one image that all read the same way.
 *
 * @param kind        how the bytes are produced
 * @param guestOffset first guest byte
 * @param length      number of guest bytes (positive)
 * @param hostOffset  for {@link Kind#DATA}: file offset of {@code guestOffset}; for ZERO and UNALLOCATED
 *                    bytes of a preallocated cluster: where they would be (informational); otherwise -1
 * @param compressed  for {@link Kind#COMPRESSED}: where the cluster's compressed bytes are
 * @param clusterGuestOffset for {@link Kind#COMPRESSED}: guest offset of the whole cluster, so a slice
 *                    of it knows where it starts inside the inflated cluster; otherwise -1
 */
public record Extent(Kind kind, long guestOffset, long length, long hostOffset, CompressedDescriptor compressed,
        long clusterGuestOffset) {

    /** The four states a guest byte can have in one image (docs/architecture.md, invariant 1). */
    public enum Kind {
        /** Stored uncompressed at {@code hostOffset}. */
        DATA,
        /** Part of a compressed cluster. */
        COMPRESSED,
        /** Reads as zeros and hides older images. */
        ZERO,
        /** Not described by this image: falls through to the older image. */
        UNALLOCATED
    }

    /** The guest offset just past this extent. */
    public long end() {
        return guestOffset + length;
    }

    /** Stored uncompressed: guest byte {@code guestOffset} is at file offset {@code hostOffset}. */
    public static Extent data(long guestOffset, long length, long hostOffset) {
        return new Extent(Kind.DATA, guestOffset, length, hostOffset, null, -1);
    }

    /** Reads as zeros. */
    public static Extent zero(long guestOffset, long length) {
        return new Extent(Kind.ZERO, guestOffset, length, -1, null, -1);
    }

    /** Not described by this image. */
    public static Extent unallocated(long guestOffset, long length) {
        return new Extent(Kind.UNALLOCATED, guestOffset, length, -1, null, -1);
    }

    /** Part of the compressed cluster {@code d} that starts at guest offset {@code clusterGuestOffset}. */
    public static Extent compressed(long guestOffset, long length, CompressedDescriptor d, long clusterGuestOffset) {
        return new Extent(Kind.COMPRESSED, guestOffset, length, -1, d, clusterGuestOffset);
    }

    /**
     * The part of this extent in guest range [{@code from}, {@code to}), keeping host offsets
     * consistent. The range is two guest offsets, not an index and a length as in
     * {@code ByteBuffer.slice}: it must overlap this extent.
     *
     * @throws IllegalArgumentException when {@code from >= to} or the range lies outside this extent
     */
    public Extent slice(long from, long to) {
        long s = Math.max(from, guestOffset);
        long e = Math.min(to, end());
        if (from >= to || s >= e) { // an empty or negative slice is a caller's mistake, never a result
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") of extent [" + guestOffset + ", "
                    + end() + "): the range must be [from, to) with from < to, overlapping the extent");
        }
        if (s == guestOffset && e == end()) {
            return this;
        }
        long host = hostOffset >= 0 && kind != Kind.COMPRESSED ? hostOffset + (s - guestOffset) : hostOffset;
        return new Extent(kind, s, e - s, host, compressed, clusterGuestOffset);
    }
}
