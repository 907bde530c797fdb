package io.qcow2j.restore;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Composes a chain's images into the extents of the restored disk (DESIGN §2): for every guest
 * byte the newest image whose state there is zero, data or compressed decides it; unallocated falls
 * through to the next older image; past an older image's end its bytes read as zeros.
 *
 * <p>Per window, the images are painted oldest first onto an ordered map of non-overlapping
 * segments: every non-unallocated extent of a newer image replaces whatever lies below it. Each
 * extent is inserted once and removed at most once, so the cost is O(E log E) in the number of
 * extents E of the window, whatever the chain length, instead of asking every older image about
 * every hole left by the newer ones (which grows with extents times links). Callers compose one
 * window at a time to keep memory flat.
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
        long end = Math.min(virtualSize, offset + length);
        if (offset >= end) {
            return new ArrayList<>();
        }
        TreeMap<Long, ComposedExtent> canvas = new TreeMap<>();
        canvas.put(offset, new ComposedExtent(-1, Extent.zero(offset, end - offset)));
        List<Extent> buf = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Qcow2Image img = images.get(i);
            long limit = Math.min(end, img.virtualSize());
            if (offset < limit) {
                buf.clear();
                img.extents(offset, limit - offset, buf);
                for (Extent e : buf) {
                    if (e.kind() != Extent.Kind.UNALLOCATED) {
                        paint(canvas, new ComposedExtent(i, e));
                    }
                }
            }
            if (limit < end) {
                // beyond this image's end: zeros that hide every older image
                long from = Math.max(offset, limit);
                paint(canvas, new ComposedExtent(i, Extent.zero(from, end - from)));
            }
        }
        List<ComposedExtent> out = new ArrayList<>(canvas.size());
        for (ComposedExtent c : canvas.values()) {
            int last = out.size() - 1;
            if (last >= 0 && out.get(last).image() == c.image() && out.get(last).extent().canMerge(c.extent())) {
                out.set(last, new ComposedExtent(c.image(), out.get(last).extent().merge(c.extent())));
            } else {
                out.add(c);
            }
        }
        return out;
    }

    /** Puts {@code c} on the canvas, cutting away whatever it covers. */
    private static void paint(TreeMap<Long, ComposedExtent> canvas, ComposedExtent c) {
        long s = c.start();
        long e = c.end();
        Map.Entry<Long, ComposedExtent> before = canvas.floorEntry(s);
        if (before != null && before.getValue().end() > s) {
            ComposedExtent b = before.getValue();
            if (b.start() < s) {
                canvas.put(b.start(), new ComposedExtent(b.image(), b.extent().slice(b.start(), s)));
            }
            if (b.end() > e) {
                canvas.put(e, new ComposedExtent(b.image(), b.extent().slice(e, b.end())));
            }
        }
        Map.Entry<Long, ComposedExtent> next = canvas.ceilingEntry(s);
        while (next != null && next.getKey() < e) {
            ComposedExtent n = next.getValue();
            canvas.remove(next.getKey());
            if (n.end() > e) {
                canvas.put(e, new ComposedExtent(n.image(), n.extent().slice(e, n.end())));
                break;
            }
            next = canvas.ceilingEntry(s);
        }
        canvas.put(s, c);
    }
}
