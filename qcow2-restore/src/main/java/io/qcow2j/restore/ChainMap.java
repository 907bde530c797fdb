package io.qcow2j.restore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The composed extents of a whole chain and the bytes each image contributes. Holds every extent,
 * so it is meant for inspection ({@code map}), not for restoring huge fragmented disks.
 *
 * @param extents     composed extents in guest order, neighbours from the same image merged
 * @param contributed bytes decided by each image (index as in the chain), zero extents included
 * @param unallocatedBytes bytes no image describes (they read as zeros)
 */
public record ChainMap(List<ComposedExtent> extents, long[] contributed, long unallocatedBytes) {
    /** Guest bytes composed per step. */
    public static final long WINDOW = 64L << 20;

    public static ChainMap of(Chain chain) throws IOException {
        Composer composer = new Composer(chain.images());
        List<ComposedExtent> all = new ArrayList<>();
        long[] bytes = new long[chain.images().size()];
        long none = 0;
        for (long w = 0; w < composer.virtualSize(); w += WINDOW) {
            for (ComposedExtent c : composer.compose(w, WINDOW)) {
                if (c.image() < 0) {
                    none += c.length();
                } else {
                    bytes[c.image()] += c.length();
                }
                int last = all.size() - 1;
                if (last >= 0 && all.get(last).image() == c.image() && all.get(last).extent().canMerge(c.extent())) {
                    all.set(last, new ComposedExtent(c.image(), all.get(last).extent().merge(c.extent())));
                } else {
                    all.add(c);
                }
            }
        }
        return new ChainMap(List.copyOf(all), bytes, none);
    }
}
