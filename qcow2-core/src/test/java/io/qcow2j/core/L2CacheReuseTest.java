package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An image whose cache holds one L2 table at a time reuses an evicted table's arrays for every
 * load: walking it in any order must give exactly the extents of an image that keeps every table.
 */
class L2CacheReuseTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v2-c512", "v3-c512", "v2-c4096", "v3-c4096", "backing-name"})
    void aCacheOfOneTableWalksLikeACacheOfAll(String name) throws IOException {
        try (Qcow2Image all = Qcow2Image.open(TestData.image(name));
                Qcow2Image one = Qcow2Image.open(TestData.image(name), OpenOptions.defaults().withL2CacheBytes(1))) {
            assertTrue(one.allocatedL2Tables() >= 2, name + " needs several L2 tables to evict any");
            long size = all.virtualSize();
            long span = (long) one.clusterSize() * (one.clusterSize() / 8); // guest bytes per L2 table
            assertEquals(all.extents(0, size), one.extents(0, size), name + ": whole disk");
            assertEquals(all.mapExtents(0, size), one.mapExtents(0, size), name + ": whole disk, map merging");
            // ranges in random order, many crossing tables, so every load reuses another table's arrays
            Random rnd = new Random(name.hashCode());
            for (int i = 0; i < 500; i++) {
                long off = rnd.nextLong(size);
                long len = 1 + rnd.nextLong(Math.min(size - off, 3 * span));
                List<Extent> expected = all.extents(off, len);
                assertEquals(expected, one.extents(off, len), name + ": range " + off + "+" + len);
            }
        }
    }
}
