package io.qcow2j.restore.internal.compose;

import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.core.Extent;
import io.qcow2j.core.internal.Extents;
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
     * image and one operation can serve them ({@link Extents#canMerge}).
     */
    public static void append(List<ComposedExtent> out, ComposedExtent c) {
        int last = out.size() - 1;
        if (last >= 0 && out.get(last).image() == c.image() && Extents.canMerge(out.get(last).extent(), c.extent())) {
            out.set(last, new ComposedExtent(c.image(), Extents.merge(out.get(last).extent(), c.extent())));
        } else {
            out.add(c);
        }
    }

    /** Appends {@code e} to {@code out}, merged as {@code qemu-img map} merges ({@link Extents#canMergeExact}). */
    public static void appendExact(List<Extent> out, Extent e) {
        int last = out.size() - 1;
        if (last >= 0 && Extents.canMergeExact(out.get(last), e)) {
            out.set(last, Extents.merge(out.get(last), e));
        } else {
            out.add(e);
        }
    }
}
