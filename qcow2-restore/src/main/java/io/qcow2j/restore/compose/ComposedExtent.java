package io.qcow2j.restore.compose;

import io.qcow2j.core.Extent;

/**
 * One extent of the composed disk and the image that supplies it.
 *
 * @param image  index in the chain (0 = oldest) of the image that decides these bytes, or -1 when no
 *               image has them (they read as zeros)
 * @param extent the extent in that image; never {@link Extent.Kind#UNALLOCATED}
 */
public record ComposedExtent(int image, Extent extent) {
    /** First guest byte. */
    public long start() {
        return extent.guestOffset();
    }

    /** Guest byte after the last. */
    public long end() {
        return extent.end();
    }

    /** Number of guest bytes. */
    public long length() {
        return extent.length();
    }

    /** How the bytes read. */
    public Extent.Kind kind() {
        return extent.kind();
    }

    /** The part of this extent in [{@code from}, {@code to}). */
    public ComposedExtent slice(long from, long to) {
        Extent s = extent.slice(from, to);
        return s == extent ? this : new ComposedExtent(image, s);
    }
}
