package io.qcow2j.restore.internal.compose;

import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.core.Extent;
import java.util.List;

/**
 * The one place neighbouring extents are merged into runs: composition merges within a window,
 * {@link ChainMap} and {@code map} across windows.
 */
public final class Runs {
    private Runs() {
    }

    /**
     * Appends {@code c} to {@code out}, merged into the last element when both come from the same
     * image and one operation can serve them ({@link Extent#canMerge}).
     */
    public static void append(List<ComposedExtent> out, ComposedExtent c) {
        int last = out.size() - 1;
        if (last >= 0 && out.get(last).image() == c.image() && out.get(last).extent().canMerge(c.extent())) {
            out.set(last, new ComposedExtent(c.image(), out.get(last).extent().merge(c.extent())));
        } else {
            out.add(c);
        }
    }

    /** Appends {@code e} to {@code out}, merged as {@code qemu-img map} merges ({@link Extent#canMergeExact}). */
    public static void appendExact(List<Extent> out, Extent e) {
        int last = out.size() - 1;
        if (last >= 0 && out.get(last).canMergeExact(e)) {
            out.set(last, out.get(last).merge(e));
        } else {
            out.add(e);
        }
    }
}
