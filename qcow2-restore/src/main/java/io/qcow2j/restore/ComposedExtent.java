package io.qcow2j.restore;

import io.qcow2j.core.Extent;

/**
 * One extent of the composed disk and the image that supplies it.
 *
 * @param image  index in the chain (0 = oldest) of the image that decides these bytes, or -1 when no
 *               image has them (they read as zeros)
 * @param extent the extent in that image; never {@link Extent.Kind#UNALLOCATED}
 */
public record ComposedExtent(int image, Extent extent) {
    public long start() {
        return extent.guestOffset();
    }

    public long end() {
        return extent.end();
    }

    public long length() {
        return extent.length();
    }

    public Extent.Kind kind() {
        return extent.kind();
    }
}
