package io.qcow2j.restore.compose;

import io.qcow2j.restore.internal.compose.Runs;
import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.internal.ParallelIo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;

/**
 * The composition rule (docs/architecture.md, invariant 2) for one range: for every guest byte the
 * newest image whose state there is zero, data or compressed decides it; unallocated falls through
 * to the next older image; past an older image's end its bytes read as zeros.
 *
 * <p>The images are painted oldest first onto an ordered map of non-overlapping segments: every
 * non-unallocated extent of a newer image replaces whatever lies below it. Each extent is inserted
 * once and removed at most once, so the cost is O(E log E) in the number of extents E of the range,
 * whatever the chain length, instead of asking every older image about every hole left by the
 * newer ones (which grows with extents times links).
 */
final class Composer {
    private final List<Qcow2Image> images;
    private final long virtualSize;
    /** Reused for each image's extents; a composer serves one thread. */
    private final List<Extent> buf = new ArrayList<>();
    /** Asks every image for its extents at once, or null: one after the other. */
    private final ExecutorService lookups;

    Composer(List<Qcow2Image> images, long virtualSize, ExecutorService lookups) {
        this.images = images;
        this.virtualSize = virtualSize;
        this.lookups = lookups;
    }

    /** Composed extents of [{@code offset}, {@code offset + length}) clamped to the virtual size. */
    List<ComposedExtent> compose(long offset, long length) throws IOException {
        long end = Math.min(virtualSize, offset + length);
        if (offset >= end) {
            return new ArrayList<>();
        }
        return paint(offset, end, lookups == null ? null : lookUpAhead(offset, end).await());
    }

    /** Whether lookups run on threads of their own, so a window's can start ahead of its use. */
    boolean looksUpAhead() {
        return lookups != null;
    }

    /**
     * Starts every image's lookups of [{@code offset}, {@code end}) at once, without waiting: a
     * window may need an L2 slice of every image, and from object storage each is a round trip.
     * Only with lookup threads; the caller awaits or abandons the result.
     */
    ParallelIo.Running<List<Extent>> lookUpAhead(long offset, long end) {
        // in chain order: the first failing image is reported, as sequentially
        return ParallelIo.start(lookups, images, img -> {
            long limit = Math.min(end, img.virtualSize());
            return offset < limit ? img.extents(offset, limit - offset) : List.of();
        }, extents -> { }, ParallelIo.OnInterrupt.WAIT, "reading L2 tables"); // the chain stays in use
    }

    /**
     * Composes [{@code offset}, {@code end}) (within the virtual size) from every image's extents
     * there, in chain order ({@link #lookUpAhead}), or, when {@code fetched} is null, asking the
     * images one after the other.
     */
    List<ComposedExtent> paint(long offset, long end, List<List<Extent>> fetched) throws IOException {
        TreeMap<Long, ComposedExtent> canvas = new TreeMap<>();
        canvas.put(offset, new ComposedExtent(-1, Extent.zero(offset, end - offset)));
        for (int i = 0; i < images.size(); i++) {
            Qcow2Image img = images.get(i);
            long limit = Math.min(end, img.virtualSize());
            if (offset < limit) {
                List<Extent> extents = fetched != null ? fetched.get(i) : lookUp(img, offset, limit);
                for (Extent e : extents) {
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
            Runs.append(out, c);
        }
        return out;
    }

    /** {@code img}'s extents of [{@code offset}, {@code limit}), in the reused list. */
    private List<Extent> lookUp(Qcow2Image img, long offset, long limit) throws IOException {
        buf.clear();
        img.extents(offset, limit - offset, buf);
        return buf;
    }

    /** Puts {@code c} on the canvas, cutting away whatever it covers. */
    private static void paint(TreeMap<Long, ComposedExtent> canvas, ComposedExtent c) {
        long s = c.start();
        long e = c.end();
        Map.Entry<Long, ComposedExtent> before = canvas.floorEntry(s);
        if (before != null && before.getValue().end() > s) {
            ComposedExtent b = before.getValue();
            if (b.start() < s) {
                canvas.put(b.start(), b.slice(b.start(), s));
            }
            if (b.end() > e) {
                canvas.put(e, b.slice(e, b.end()));
            }
        }
        Map.Entry<Long, ComposedExtent> next = canvas.ceilingEntry(s);
        while (next != null && next.getKey() < e) {
            ComposedExtent n = next.getValue();
            canvas.remove(next.getKey());
            if (n.end() > e) {
                canvas.put(e, n.slice(e, n.end()));
                break;
            }
            next = canvas.ceilingEntry(s);
        }
        canvas.put(s, c);
    }
}
