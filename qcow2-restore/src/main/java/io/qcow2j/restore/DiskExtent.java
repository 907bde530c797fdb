package io.qcow2j.restore;

import io.qcow2j.core.Extent;

/**
 * A run of bytes of a composed disk ({@link ComposedDisk#extents}) that read the same way and come
 * from the same image: {@link Extent.Kind#DATA} or {@link Extent.Kind#COMPRESSED} bytes of image
 * {@link #image()}, {@link Extent.Kind#ZERO} (an image stores zeros there, or ends before it),
 * or {@link Extent.Kind#UNALLOCATED} (no image of the chain describes them: zeros). Immutable.
 */
public final class DiskExtent {
    private final long start;
    private final long length;
    private final Extent.Kind kind;
    private final int image;

    DiskExtent(long start, long length, Extent.Kind kind, int image) {
        this.start = start;
        this.length = length;
        this.kind = kind;
        this.image = image;
    }

    /** First guest byte. */
    public long start() {
        return start;
    }

    /** Number of guest bytes, positive. */
    public long length() {
        return length;
    }

    /** The guest byte after the last. */
    public long end() {
        return start + length;
    }

    /** How the bytes read. */
    public Extent.Kind kind() {
        return kind;
    }

    /** The position in the chain (0 = oldest) of the image that decides these bytes, or -1 for none. */
    public int image() {
        return image;
    }

    /** Zeros, whichever way: zero in an image, past its end, or described by none. */
    public boolean readsAsZeros() {
        return kind == Extent.Kind.ZERO || kind == Extent.Kind.UNALLOCATED;
    }

    /** This run followed by {@code next}, when that continues it in kind and image, else null. */
    DiskExtent merge(DiskExtent next) {
        return next.start == end() && next.kind == kind && next.image == image
                ? new DiskExtent(start, length + next.length, kind, image) : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiskExtent d && d.start == start && d.length == length && d.kind == kind
                && d.image == image;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(start) * 31 + Long.hashCode(length) * 7 + kind.hashCode() + image;
    }

    @Override
    public String toString() {
        return kind + "[" + start + ", " + end() + ")" + (image >= 0 ? " of image " + image : "");
    }
}
