package io.qcow2j.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Header;
import io.qcow2j.core.HeaderExtension;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker.L2Ref;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The poker finds the structures where the reader finds them, and its refcount and snapshot
 * walks follow qemu's layout: the damage tests are only as precise as these.
 */
class ImagePokerTest {
    @TempDir
    Path dir;

    private static List<String> allImages() {
        List<String> all = new ArrayList<>(TestData.imageNames());
        all.addAll(TestData.chainNames());
        return all;
    }

    @Test
    void locatesWhatTheReaderLocates() throws IOException {
        for (String name : allImages()) {
            Path img = dir.resolve(name.replace('/', '-') + ".qcow2");
            Files.copy(TestData.image(name), img);
            try (Qcow2Image image = Qcow2Image.open(img); ImagePoker p = ImagePoker.open(img)) {
                Header h = image.header();
                assertEquals(List.of(h.version(), h.clusterBits(), h.size(), h.l1Size(), h.l1TableOffset(),
                        h.refcountTableOffset(), h.snapshotsOffset(), h.backingFileOffset(), h.refcountOrder(),
                        h.features().extendedL2(), h.l2EntryBytes()),
                        List.of(p.version(), p.clusterBits(), p.virtualSize(), p.l1Size(), p.l1TableOffset(),
                                p.refcountTableOffset(), p.snapshotsOffset(), p.backingFileOffset(), p.refcountOrder(),
                                p.extendedL2(), p.l2EntryBytes()), name);
                Map<Integer, Long> firstOfType = new TreeMap<>();
                for (HeaderExtension e : h.extensions()) {
                    firstOfType.putIfAbsent(e.type(), e.dataOffset() - Layout.EXT_HEADER_LENGTH);
                }
                for (Map.Entry<Integer, Long> e : firstOfType.entrySet()) {
                    assertEquals(e.getValue(), p.extensionPos(e.getKey()), name);
                }
                assertEquals(image.allocatedL2Tables(), p.l2Tables().size(), name);
                long sub = image.clusterSize() / (p.extendedL2() ? Layout.SUBCLUSTERS : 1);
                for (L2Ref r : p.l2Entries()) {
                    if (r.compressed()) {
                        Extent e = image.extents(r.guestOffset(), 1).get(0);
                        assertEquals(Extent.Kind.COMPRESSED, e.kind(), name + " at " + r.guestOffset());
                        assertEquals(e.compressed(), p.descriptor(r.entry()), name + " at " + r.guestOffset());
                    } else if (r.data()) {
                        long s = r.extended() ? Integer.numberOfTrailingZeros((int) r.bitmap()) : 0;
                        Extent e = image.extents(r.guestOffset() + s * sub, 1).get(0);
                        assertEquals(Extent.Kind.DATA, e.kind(), name + " at " + r.guestOffset());
                        assertEquals(r.host() + s * sub, e.hostOffset(), name + " at " + r.guestOffset());
                    }
                }
                assertEquals(1, p.refcount(0), name + ": the header cluster");
                assertEquals(1, p.refcount(p.l1TableOffset() >>> p.clusterBits()), name + ": the L1 table");
            }
        }
    }

    @Test
    void sizeEditsMustChangeTheSize() throws IOException {
        Path img = dir.resolve("img.qcow2");
        Files.copy(TestData.image("v3-c4096"), img);
        try (ImagePoker p = ImagePoker.open(img)) {
            long size = p.fileSize();
            assertThrows(IllegalArgumentException.class, () -> p.truncate(size));
            assertThrows(IllegalArgumentException.class, () -> p.extendTo(size));
            p.extendTo(size + 4096);
            assertEquals(size + 4096, p.fileSize());
            p.truncate(size);
            assertEquals(size, p.fileSize());
            assertEquals(size, p.originalSize());
        }
    }

    @Test
    @RequiresQemu
    void refcountsOfEveryWidthRoundTrip() throws IOException {
        for (int order = 0; order <= Layout.MAX_REFCOUNT_ORDER; order++) {
            int bits = 1 << order;
            Path img = dir.resolve("refcount-" + bits + ".qcow2");
            QemuImg.create(img, 1 << 20, "cluster_size=4096,refcount_bits=" + bits);
            QemuIo.run(img, "write -P 1 0 20k");
            try (ImagePoker p = ImagePoker.open(img)) {
                assertEquals(order, p.refcountOrder());
                // qemu allocated the file's clusters in one run, each once: ones, then zeros
                long used = (p.fileSize() + p.clusterSize() - 1) / p.clusterSize();
                for (long c = 0; c < used + 9; c++) {
                    assertEquals(c < used ? 1 : 0, p.refcount(c), bits + "-bit refcount of cluster " + c);
                }
                long max = bits == 64 ? -1L : (1L << bits) - 1;
                long before2 = p.refcount(2);
                long before4 = p.refcount(4);
                p.setRefcount(3, max);
                assertEquals(max, p.refcount(3), bits + "-bit");
                assertEquals(List.of(before2, before4), List.of(p.refcount(2), p.refcount(4)),
                        bits + "-bit neighbours");
                p.setRefcount(3, 0);
                assertEquals(0, p.refcount(3), bits + "-bit");
            }
        }
    }

    @Test
    @RequiresQemu
    void snapshotEntriesAreFoundInOrder() throws IOException {
        Path img = dir.resolve("snapshots.qcow2");
        QemuImg.create(img, 1 << 20, "cluster_size=4096");
        List<String> names = List.of("first", "a-longer-second-name", "3");
        for (String n : names) {
            Qemu.run("qemu-img", "snapshot", "-c", n, img.toString());
        }
        try (ImagePoker p = ImagePoker.open(img)) {
            for (int i = 0; i < names.size(); i++) {
                long pos = p.snapshotPos(i);
                assertEquals(0, pos % Layout.SNAPSHOT_ALIGNMENT);
                int extra = p.getInt(pos + Layout.SNAPSHOT_EXTRA_DATA_SIZE);
                int idSize = Short.toUnsignedInt(p.getShort(pos + Layout.SNAPSHOT_ID_STR_SIZE));
                int nameSize = Short.toUnsignedInt(p.getShort(pos + Layout.SNAPSHOT_NAME_SIZE));
                byte[] name = p.getBytes(pos + Layout.SNAPSHOT_HEADER_LENGTH + extra + idSize, nameSize);
                assertArrayEquals(names.get(i).getBytes(StandardCharsets.UTF_8), name, "snapshot " + i);
            }
        }
    }

    @Test
    void extendedL2BitmapsNeedAnExtendedImage() throws IOException {
        Path img = dir.resolve("img.qcow2");
        Files.copy(TestData.image("v3-c4096"), img);
        try (ImagePoker p = ImagePoker.open(img)) {
            assertFalse(p.extendedL2());
            assertThrows(IllegalStateException.class, () -> p.setL2Bitmap(0, 0, 1));
            L2Ref r = p.findL2Entry("data", L2Ref::data);
            assertThrows(IllegalStateException.class, r::bitmapPos);
            assertTrue(r.host() != 0);
        }
    }
}
