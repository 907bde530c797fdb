package io.qcow2j.restore;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Composes a chain's images into the extents of the restored disk (DESIGN §2): for every guest
 * byte the newest image whose state there is zero, data or compressed decides it; unallocated falls
 * through to the next older image; past an older image's end its bytes read as zeros.
 *
 * <p>Works on extents, not clusters: each image is asked only about the holes left by the newer
 * ones, so the cost grows with the number of extents. Callers compose one window at a time to keep
 * memory flat.
 */
public final class Composer {
    private final List<Qcow2Image> images;
    private final long virtualSize;

    /** @param images oldest first */
    public Composer(List<Qcow2Image> images) {
        this.images = List.copyOf(images);
        this.virtualSize = this.images.get(this.images.size() - 1).virtualSize();
    }

    public long virtualSize() {
        return virtualSize;
    }

    /** Composed extents of [{@code offset}, {@code offset + length}) clamped to the virtual size. */
    public List<ComposedExtent> compose(long offset, long length) throws IOException {
        List<ComposedExtent> out = new ArrayList<>();
        long end = Math.min(virtualSize, offset + length);
        if (offset < end) {
            fill(images.size() - 1, offset, end, out);
        }
        return out;
    }

    private void fill(int i, long from, long to, List<ComposedExtent> out) throws IOException {
        if (i < 0) {
            add(out, new ComposedExtent(-1, Extent.zero(from, to - from)));
            return;
        }
        Qcow2Image img = images.get(i);
        long limit = Math.min(to, img.virtualSize());
        if (from < limit) {
            for (Extent e : img.extents(from, limit - from)) {
                if (e.kind() == Extent.Kind.UNALLOCATED) {
                    fill(i - 1, e.guestOffset(), e.end(), out);
                } else {
                    add(out, new ComposedExtent(i, e));
                }
            }
        }
        if (to > limit) {
            // beyond this image's end: zeros that hide every older image
            add(out, new ComposedExtent(i, Extent.zero(Math.max(from, limit), to - Math.max(from, limit))));
        }
    }

    private static void add(List<ComposedExtent> out, ComposedExtent c) {
        int last = out.size() - 1;
        if (last >= 0) {
            ComposedExtent prev = out.get(last);
            if (prev.image() == c.image() && prev.extent().canMerge(c.extent())) {
                out.set(last, new ComposedExtent(c.image(), prev.extent().merge(c.extent())));
                return;
            }
        }
        out.add(c);
    }
}
