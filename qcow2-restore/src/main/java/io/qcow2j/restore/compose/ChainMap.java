package io.qcow2j.restore.compose;

import io.qcow2j.restore.internal.compose.Runs;
import io.qcow2j.core.Qcow2Image;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The composed extents of a whole chain and the bytes each image contributes. Holds every extent,
 * so it is meant for inspection ({@code map}), not for restoring huge fragmented disks.
 *
 * @param extents          composed extents in guest order, neighbours from the same image merged
 * @param contributed      bytes decided by each image (index as in the chain), zero extents included
 * @param unallocatedBytes bytes no image describes (they read as zeros)
 */
public record ChainMap(List<ComposedExtent> extents, long[] contributed, long unallocatedBytes) {

    /** Composes {@code images} (oldest first) over the whole disk. */
    public static ChainMap of(List<Qcow2Image> images) throws IOException {
        List<ComposedExtent> all = new ArrayList<>();
        long[] bytes = new long[images.size()];
        long[] none = {0};
        new Composition(images).forEachWindow((s, e, extents) -> {
            for (ComposedExtent c : extents) {
                if (c.image() < 0) {
                    none[0] += c.length();
                } else {
                    bytes[c.image()] += c.length();
                }
                Runs.append(all, c);
            }
            return true;
        });
        return new ChainMap(List.copyOf(all), bytes, none[0]);
    }
}
