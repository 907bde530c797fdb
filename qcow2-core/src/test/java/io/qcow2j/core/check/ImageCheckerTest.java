package io.qcow2j.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.SourceAccessException;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.check.CheckProblem.Severity;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageChecker} on the committed qemu-made images and on copies damaged in place, without
 * qemu: expected numbers are what {@code qemu-img check} 7.2 reported for the same files (the
 * differential test re-derives them from qemu when it is installed).
 */
class ImageCheckerTest {
    /** Extra data of a version 3 snapshot entry: vm_state_size_large and disk_size. */
    private static final int EXTRA = Layout.V3_MIN_SNAPSHOT_EXTRA_DATA;

    @TempDir
    Path dir;

    private Path copy(String name) throws IOException {
        Path img = dir.resolve(name.replace('/', '-') + ".qcow2");
        Files.copy(TestData.image(name), img);
        return img;
    }

    private static void damage(Path img, ImageCheckerDifferentialTest.Damage d) throws IOException {
        try (ImagePoker p = ImagePoker.open(img)) {
            d.apply(p);
        }
    }

    /**
     * Makes the image's only snapshot an entry, cluster aligned past the end of the file, whose L1
     * table is {@code l1Size} entries at {@code l1Offset}: version 3 extra data, no id, no name.
     */
    private static void appendSnapshot(ImagePoker p, long l1Offset, int l1Size) throws IOException {
        long table = p.alignedEnd();
        p.putLong(table + Layout.SNAPSHOT_L1_TABLE_OFFSET, l1Offset);
        p.putInt(table + Layout.SNAPSHOT_L1_SIZE, l1Size);
        p.putInt(table + Layout.SNAPSHOT_EXTRA_DATA_SIZE, EXTRA);
        p.putInt(table + Layout.SNAPSHOT_ID_STR_SIZE, 0); // and name_size
        p.putLong(table + Layout.SNAPSHOT_HEADER_LENGTH + EXTRA, 0); // padding past the entry
        p.putInt(Layout.HDR_NB_SNAPSHOTS, 1);
        p.putLong(Layout.HDR_SNAPSHOTS_OFFSET, table);
    }

    @Test
    void everyCommittedImageIsClean() throws IOException {
        for (String n : TestData.imageNames()) {
            CheckResult r = ImageChecker.check(TestData.image(n));
            assertEquals(0, r.exitCode(), n + ": " + r.problems());
            assertTrue(r.clean(), n);
            assertEquals(List.of(), r.problems(), n);
            assertTrue(r.imageEndOffset() > 0 && r.imageEndOffset() <= Files.size(TestData.image(n)) + 65536, n);
        }
        for (String n : TestData.chainNames()) {
            assertEquals(0, ImageChecker.check(TestData.image(n)).exitCode(), n);
        }
    }

    @Test
    void statisticsAreQemus() throws IOException {
        // qemu-img check --output=json, QEMU 7.2, on the committed files
        assertStats("compressed-zstd", 18, 24, 13, 12, 28672);
        assertStats("v3-c4096", 8, 4097, 3, 3, 53248);
        assertStats("v3-c65536", 1, 17, 0, 0, 393216);
        assertStats("ext-l2-c65536", 1, 64, 0, 0, 393216);
        assertStats("v2-c512", 15, 8192, 1, 1, 12800);
        assertStats("zero-clusters", 8, 256, 2, 0, 15360);
    }

    private static void assertStats(String name, long allocated, long total, long fragmented, long compressed,
            long end) throws IOException {
        CheckResult r = ImageChecker.check(TestData.image(name));
        assertEquals(List.of(allocated, total, fragmented, compressed, end), List.of(r.allocatedClusters(),
                r.totalClusters(), r.fragmentedClusters(), r.compressedClusters(), r.imageEndOffset()), name);
        assertEquals("qcow2", r.format());
        assertEquals(TestData.image(name).toString(), r.filename());
    }

    @Test
    void orphanedDataClusterIsOneLeakAtItsOffset() throws IOException {
        Path img = copy("v2-c65536");
        long[] cluster = new long[1];
        damage(img, p -> {
            int i = 0;
            while ((p.l2Entry(0, i) & Layout.L2_OFFSET_MASK) == 0 || (p.l2Entry(0, i) & Layout.L2_COMPRESSED) != 0) {
                i++;
            }
            cluster[0] = p.dataCluster(0, i);
            p.setL2Entry(0, i, 0);
        });
        CheckResult r = ImageChecker.check(img);
        assertEquals(3, r.exitCode());
        assertEquals(1, r.leaks());
        assertEquals(0, r.corruptions());
        CheckProblem p = r.problems().get(0);
        assertEquals(Severity.LEAK, p.severity());
        assertEquals(cluster[0] << 16, p.offset());
        assertEquals("cluster " + cluster[0] + " has refcount 1 but 0 references", p.message());
    }

    @Test
    void refcountTooLowIsCorruption() throws IOException {
        Path img = copy("v3-c4096");
        damage(img, p -> p.setRefcount(p.l1TableOffset() >>> p.clusterBits(), 0));
        CheckResult r = ImageChecker.check(img);
        assertEquals(2, r.exitCode());
        assertEquals(1, r.corruptions(), r.problems().toString());
        assertEquals("cluster", r.problems().get(0).structure());
        assertTrue(r.problems().get(0).message().endsWith("has refcount 0 but 1 references"));
    }

    @Test
    void twoL2EntriesSharingAClusterAreACorruptionAndALeak() throws IOException {
        Path img = copy("zero-clusters");
        damage(img, p -> {
            int a = -1;
            int b = -1;
            for (int i = 0; b < 0; i++) {
                long e = p.l2Entry(0, i);
                if ((e & Layout.L2_OFFSET_MASK) != 0 && (e & Layout.L2_COMPRESSED) == 0 && (e & Layout.L2_ZERO) == 0) {
                    if (a < 0) {
                        a = i;
                    } else {
                        b = i;
                    }
                }
            }
            p.setL2Entry(0, b, p.l2Entry(0, a));
        });
        CheckResult r = ImageChecker.check(img);
        assertEquals(List.of(1L, 1L), List.of(r.corruptions(), r.leaks()), r.problems().toString());
        assertTrue(r.problems().stream().anyMatch(p -> p.message().endsWith("has refcount 1 but 2 references")));
    }

    @Test
    void unreadableRefcountBlockIsACheckErrorPerCluster() throws IOException {
        Path img = copy("v3-c4096");
        damage(img, p -> p.putLong(p.refcountTableOffset(), p.getLong(p.refcountTableOffset()) + 512));
        long clusters = Files.size(img) / 4096 + (Files.size(img) % 4096 == 0 ? 0 : 1);
        CheckResult r = ImageChecker.check(img);
        assertEquals(1, r.exitCode());
        assertEquals(clusters, r.checkErrors());
        assertEquals(1, r.corruptions()); // the unaligned refcount table entry itself
    }

    @Test
    void problemListIsBoundedButEverythingIsCounted() throws IOException {
        Path img = copy("v3-c4096");
        damage(img, p -> p.putLong(p.refcountTableOffset(), p.getLong(p.refcountTableOffset()) + 512));
        try (FileByteSource src = FileByteSource.open(img)) {
            CheckResult r = ImageChecker.check(src, 5);
            assertEquals(5, r.problems().size());
            assertEquals(r.checkErrors() + r.corruptions() + r.leaks() - 5, r.problemsOmitted());
        }
    }

    @Test
    void missingFileAndBadMagicCannotBeChecked() throws IOException {
        Path missing = dir.resolve("missing.qcow2");
        // the file cannot be read: a SourceAccessException, naming it
        SourceAccessException gone = assertThrows(SourceAccessException.class, () -> ImageChecker.check(missing));
        assertTrue(gone.getMessage().contains(missing.toString()));
        Path img = copy("v3-c512");
        damage(img, p -> p.putInt(Layout.HDR_MAGIC, 0x12345678));
        InvalidImageException e = assertThrows(InvalidImageException.class, () -> ImageChecker.check(img));
        assertEquals("header", e.structure());
        assertTrue(e.getMessage().startsWith(img.toString()), e.getMessage());
    }

    @Test
    void imageMarkedCorruptIsStillChecked() throws IOException {
        Path img = copy("v3-c512");
        damage(img, p -> p.orLong(Layout.HDR_INCOMPATIBLE_FEATURES, 1L << FeatureBits.INCOMPAT_CORRUPT));
        assertEquals(0, ImageChecker.check(img).exitCode());
    }

    // ---- hostile sizes: refused or handled without allocating what the header claims -----

    @Test
    void virtualSizeOfAnExabyteIsRefusedByTheHeader() throws IOException {
        Path img = copy("v3-c65536");
        damage(img, p -> p.putLong(Layout.HDR_SIZE, 1L << 60));
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertEquals("header", e.structure(), e.getMessage());
    }

    @Test
    void hugeRefcountTableClaimIsRefusedByTheHeader() throws IOException {
        Path img = copy("v3-c4096");
        damage(img, p -> p.putInt(Layout.HDR_REFCOUNT_TABLE_CLUSTERS, 0x7fff_ffff));
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertTrue(e.getMessage().contains("refcount_table_clusters") || e.getMessage().contains("refcount table"),
                e.getMessage());
    }

    @Test
    void fileWithMoreThanIntMaxClustersIsRefusedBeforeAllocating() throws IOException {
        Path img = copy("v2-c512");
        damage(img, p -> p.extendTo(1L << 41)); // sparse: 2^32 clusters of 512 bytes
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertTrue(e.getMessage().contains("too many clusters"), e.getMessage());
    }

    @Test
    void refcountArrayLargerThanHalfTheHeapIsRefusedBeforeAllocating() throws IOException {
        Path img = copy("v3-c4096");
        long clusters = (Runtime.getRuntime().maxMemory() / 8 + 1) & ~0xfffL; // 64-bit counts > heap
        damage(img, p -> {
            p.putInt(Layout.HDR_REFCOUNT_ORDER, 6); // 64-bit refcounts
            p.extendTo(clusters * 4096);
        });
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertTrue(e.getMessage().contains("raise -Xmx"), e.getMessage());
    }

    @Test
    void sparseTailWithoutRefcountsIsNeitherLeakNorCorruption() throws IOException {
        Path img = copy("v3-c4096");
        damage(img, p -> p.extendTo(64L << 30)); // 2^24 clusters, no refcount blocks past the first
        CheckResult r = ImageChecker.check(img);
        assertEquals(0, r.exitCode(), r.problems().toString());
        assertEquals(53248, r.imageEndOffset());
    }

    @Test
    void snapshotClaimingHugeL1TablesPastTheFileCostsNothing() throws IOException {
        Path img = copy("v3-c512");
        // L1 of 4M entries (qemu's maximum) far past the end of the file
        damage(img, p -> appendSnapshot(p, 1L << 50, 4 << 20));
        long start = System.nanoTime();
        CheckResult r = ImageChecker.check(img);
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "checking took too long");
        assertTrue(r.problems().stream().anyMatch(p -> p.structure().equals("L1 table")
                && p.message().contains("past the end of the file")), r.problems().toString());
    }

    @Test
    void snapshotL1OffsetBeyondTwoToThe63CannotBeChecked() throws IOException {
        Path img = copy("v3-c512");
        damage(img, p -> appendSnapshot(p, 0x8000_0000_0000_0000L, 1));
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertEquals("snapshot table", e.structure(), e.getMessage());
    }
}
