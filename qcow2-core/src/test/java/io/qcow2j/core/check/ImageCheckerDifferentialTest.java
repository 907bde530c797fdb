package io.qcow2j.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.check.CheckProblem.Severity;
import io.qcow2j.core.internal.format.HeaderParser;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.ImagePoker.L2Ref;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ImageChecker} against {@code qemu-img check --output=json} (QEMU 7.2) on images qemu
 * builds, clean and then damaged on purpose: same exit code, same corruption / leak / check-error
 * counts, same allocation statistics and image end offset. Each case also states the exit code it
 * was built for, so a damage that silently did nothing fails instead of agreeing on "clean".
 *
 * <p>Where qemu's counts are idiosyncratic we count the same way, and the tests at the end say so
 * explicitly; where we knowingly differ (a header {@link HeaderParser#read} refuses, which qemu would
 * check), that is asserted too.
 */
@RequiresQemu
class ImageCheckerDifferentialTest {
    private static final long O = Layout.L2_OFFSET_MASK;
    private static final long DIRTY = 1L << FeatureBits.INCOMPAT_DIRTY;
    private static final long CORRUPT = 1L << FeatureBits.INCOMPAT_CORRUPT;

    /** Images several cases start from, built once by qemu and copied for each case. */
    @TempDir
    static Path shared;
    private static final Map<String, Path> BUILT = new HashMap<>();

    @TempDir
    Path dir;

    /** Builds one image in a folder and returns it. */
    interface Build {
        Path in(Path dir) throws IOException;
    }

    /** A named image recipe and the qemu-img check exit code it is meant to produce. */
    record Case(String name, int exit, Build build) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Damage {
        void apply(ImagePoker p) throws IOException;
    }

    // ---- building blocks -----------------------------------------------------------------

    static Path create(Path dir, String opts, long size, String... ioCommands) throws IOException {
        Path img = dir.resolve("img.qcow2");
        QemuImg.create(img, size, opts);
        if (ioCommands.length > 0) {
            QemuIo.run(img, ioCommands);
        }
        return img;
    }

    /** A copy, in {@code dir}, of the image {@code recipe} builds (once per test class). */
    static synchronized Path copyOf(String name, Build recipe, Path dir) throws IOException {
        Path src = BUILT.get(name);
        if (src == null) {
            Path d = Files.createDirectories(shared.resolve(name));
            src = recipe.in(d);
            BUILT.put(name, src);
        }
        Path img = dir.resolve("img.qcow2");
        Files.copy(src, img, StandardCopyOption.REPLACE_EXISTING);
        return img;
    }

    /** qemu's default v3 image with data, a compressed cluster and a preallocated zero cluster. */
    static Path base(Path dir) throws IOException {
        return copyOf("base", d -> create(d, "cluster_size=65536", 4 << 20,
                "write -P 1 0 1M", "write -c -P 2 2M 64k", "write -z 512k 64k", "discard 768k 64k"), dir);
    }

    /** A version 2 image with 4 KiB clusters, for damage that needs small clusters. */
    static Path v2small(Path dir) throws IOException {
        return copyOf("v2small", d -> create(d, "compat=0.10,cluster_size=4096", 4 << 20, "write -P 1 0 100k"),
                dir);
    }

    /** An extended-L2 image with 32 KiB clusters. */
    static Path extended(Path dir) throws IOException {
        return copyOf("extended", d -> create(d, "extended_l2=on,cluster_size=32768", 4 << 20,
                "write -P 1 0 4k"), dir);
    }

    /** A 3 GiB disk with 4 KiB clusters: many L1 entries, two L2 tables in use. */
    static Path sparse(Path dir) throws IOException {
        return copyOf("sparse", d -> create(d, "cluster_size=4096", 3L << 30, "write -P 1 0 64k",
                "write -P 1 2G 64k"), dir);
    }

    static Path damaged(Path img, Damage d) throws IOException {
        try (ImagePoker p = ImagePoker.open(img)) {
            d.apply(p);
        }
        return img;
    }

    static Build damage(Build build, Damage d) {
        return dir -> damaged(build.in(dir), d);
    }

    static void qemuImg(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        Qemu.run(Qemu.DEFAULT_TIMEOUT, cmd);
    }

    /** Two internal snapshots, with writes after each (so some clusters are shared, some not). */
    static Path snapshots(Path dir) throws IOException {
        return copyOf("snapshots", d -> {
            Path img = create(d, "cluster_size=4096", 1 << 20, "write -P 1 0 256k");
            qemuImg("snapshot", "-c", "s1", img.toString());
            QemuIo.run(img, "write -P 2 0 64k");
            qemuImg("snapshot", "-c", "s2", img.toString());
            QemuIo.run(img, "write -P 3 128k 8k");
            return img;
        }, dir);
    }

    /** Two persistent bitmaps, dirtied so their tables have data clusters. */
    static Path bitmaps(Path dir) throws IOException {
        return copyOf("bitmaps", d -> {
            Path img = create(d, "cluster_size=65536", 4 << 20, "write -P 1 0 1M");
            qemuImg("bitmap", "--add", img.toString(), "b0");
            qemuImg("bitmap", "--add", "-g", "4096", img.toString(), "b1");
            QemuIo.run(img, "write -P 7 2M 1M");
            return img;
        }, dir);
    }

    /** The bitmap directory's file offset, from the bitmaps header extension. */
    static long bitmapDirectory(ImagePoker p) throws IOException {
        return p.getLong(p.extensionPos(Layout.EXT_BITMAPS) + Layout.EXT_HEADER_LENGTH
                + Layout.BITMAPS_EXT_DIRECTORY_OFFSET);
    }

    // ---- the cases -------------------------------------------------------------------------

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        Build base = ImageCheckerDifferentialTest::base;
        Build snapshots = ImageCheckerDifferentialTest::snapshots;
        // clean
        c.add(new Case("clean: v3 64k clusters, data, compressed, zero, discard", 0, base));
        c.add(new Case("clean: v2 512-byte clusters", 0, d -> create(d, "compat=0.10,cluster_size=512", 1 << 20,
                "write -P 1 0 100k", "write -c -P 2 200k 512")));
        c.add(new Case("clean: v2 4k clusters", 0, d -> create(d, "compat=0.10,cluster_size=4096", 4 << 20,
                "write -P 1 0 100k", "write -P 3 1M 64k")));
        c.add(new Case("clean: v3 2M clusters", 0, d -> create(d, "cluster_size=2097152", 8 << 20,
                "write -P 1 0 1M", "write -c -P 2 4M 2M", "write -P 3 7M 4k")));
        for (int bits : new int[] {1, 2, 4, 8, 32, 64}) {
            c.add(new Case("clean: refcount_bits=" + bits, 0, d -> create(d,
                    "refcount_bits=" + bits + ",cluster_size=4096", 4 << 20,
                    "write -P 1 0 64k", "write -c -P 2 1M 4k", "discard 16k 8k")));
        }
        c.add(new Case("clean: extended L2, 32k clusters", 0, d -> create(d, "extended_l2=on,cluster_size=32768",
                4 << 20, "write -P 1 0 4k", "write -P 1 100k 1k", "write -z 1M 64k", "write -c -P 5 2M 32k")));
        c.add(new Case("clean: extended L2, 64k clusters", 0, d -> create(d, "extended_l2=on", 4 << 20,
                "write -P 1 0 1k", "write -z -u 64k 2k", "write -P 2 200k 100k")));
        c.add(new Case("clean: zstd compressed clusters", 0, d -> create(d, "compression_type=zstd", 4 << 20,
                "write -c -P 1 0 64k", "write -c -P 2 64k 64k")));
        c.add(new Case("clean: two internal snapshots", 0, snapshots));
        c.add(new Case("clean: persistent dirty bitmaps", 0, ImageCheckerDifferentialTest::bitmaps));
        c.add(new Case("clean: preallocation=metadata", 0, d -> create(d, "preallocation=metadata", 4 << 20,
                "write -P 1 0 64k")));
        c.add(new Case("clean: 3 GiB sparse disk, several L2 tables", 0, ImageCheckerDifferentialTest::sparse));
        c.add(new Case("clean: lazy refcounts, closed cleanly", 0, d -> create(d, "lazy_refcounts=on", 4 << 20,
                "write -P 1 0 256k")));

        // leaks only
        c.add(new Case("leak: L2 entry cleared, its data cluster orphaned", 3,
                damage(base, p -> p.setL2Entry(0, 3, 0))));
        c.add(new Case("leak: refcount of the refcount table raised", 3,
                damage(base, p -> p.setRefcount(
                        p.refcountTableOffset() >>> p.clusterBits(), 2))));
        c.add(new Case("leak: refcount of a compressed cluster raised", 3,
                damage(base, p -> {
                    long e = p.findL2Entry("a compressed cluster", L2Ref::compressed).entry();
                    p.setRefcount(p.descriptor(e).hostOffset() >>> p.clusterBits(), 2);
                })));
        c.add(new Case("leak: refcounts on clusters past the last used one", 3,
                damage(base, p -> {
                    long n = (p.fileSize() + p.clusterSize() - 1) / p.clusterSize();
                    p.extendTo((n + 3) * p.clusterSize());
                    p.setRefcount(n + 1, 1);
                    p.setRefcount(n + 2, 3);
                })));
        c.add(new Case("leak: dirty bit with stale refcounts (no repair when only checking)", 3,
                damage(base, p -> {
                    p.orLong(Layout.HDR_INCOMPATIBLE_FEATURES, DIRTY);
                    p.setL2Entry(0, 4, 0);
                })));

        // corruptions
        c.add(new Case("corrupt: refcount 0 for a used data cluster", 2,
                damage(base, p -> p.setRefcount(p.dataCluster(0, 3), 0))));
        c.add(new Case("corrupt: refcount 2 for a data cluster with OFLAG_COPIED", 2,
                damage(base, p -> p.setRefcount(p.dataCluster(0, 3), 2))));
        c.add(new Case("corrupt: OFLAG_COPIED cleared on an active L2 entry", 2,
                damage(base, p -> p.setL2Entry(0, 2, p.l2Entry(0, 2)
                        & ~Layout.COPIED))));
        c.add(new Case("corrupt: OFLAG_COPIED cleared on an active L1 entry", 2,
                damage(base, p -> p.setL1Entry(0, p.l1Entry(0) & ~Layout.COPIED))));
        c.add(new Case("corrupt: OFLAG_COPIED set on a cluster a snapshot shares", 2,
                damage(snapshots, p -> p.setL2Entry(0, 40, p.l2Entry(0, 40)
                        | Layout.COPIED))));
        c.add(new Case("corrupt: two L2 entries point to the same cluster", 2,
                damage(base, p -> p.setL2Entry(0, 5, p.l2Entry(0, 4)))));
        c.add(new Case("corrupt: two L2 entries share a cluster, 1-bit refcounts overflow", 2,
                damage(d -> create(d, "refcount_bits=1,cluster_size=4096", 4 << 20, "write -P 1 0 64k"),
                        p -> p.setL2Entry(0, 5, p.l2Entry(0, 4)))));
        c.add(new Case("corrupt: L2 entry reserved bit 57", 2,
                damage(base, p -> p.setL2Entry(0, 6, p.l2Entry(0, 6) | 1L << 57))));
        c.add(new Case("corrupt: L1 entry reserved bit 1", 2,
                damage(base, p -> p.setL1Entry(0, p.l1Entry(0) | 2))));
        c.add(new Case("corrupt: data cluster offset not cluster aligned", 2,
                damage(ImageCheckerDifferentialTest::v2small, p -> p.setL2Entry(0, 7, p.l2Entry(0, 7) + 512))));
        c.add(new Case("corrupt: L2 table offset not cluster aligned", 2,
                damage(ImageCheckerDifferentialTest::v2small, p -> p.setL1Entry(0, p.l1Entry(0) + 512))));
        c.add(new Case("corrupt: data cluster past the end of the file", 2,
                damage(base, p -> p.setL2Entry(0, 7,
                        (p.l2Entry(0, 7) & ~O) | 1L << 40))));
        c.add(new Case("corrupt: L2 table past the end of the file", 2,
                damage(ImageCheckerDifferentialTest::sparse, p -> p.setL1Entry(3, Layout.COPIED | 1L << 40))));
        c.add(new Case("corrupt: L2 table inside the refcount block", 2,
                damage(base, p -> p.setL2Entry(0, 9,
                        Layout.COPIED | p.refcountBlock(0)))));
        c.add(new Case("corrupt: compressed cluster with OFLAG_COPIED", 2,
                damage(base, p -> p.orLong(p.findL2Entry("a compressed cluster", L2Ref::compressed).pos(),
                        Layout.COPIED))));
        c.add(new Case("corrupt: extended L2 subclusters both allocated and zero", 2,
                damage(ImageCheckerDifferentialTest::extended, p -> p.setL2Bitmap(0, 0, 0x0000_0001_0000_0001L))));
        c.add(new Case("corrupt: extended L2 unallocated cluster with allocation bits", 2,
                damage(ImageCheckerDifferentialTest::extended, p -> p.setL2Bitmap(0, 10, 1))));
        c.add(new Case("corrupt: refcount table entry reserved bit", 2,
                damage(base, p -> p.orLong(p.refcountTableOffset(), 1))));
        c.add(new Case("corrupt: refcount table past the end of the file", 2,
                damage(base, p -> p.putLong(Layout.HDR_REFCOUNT_TABLE_OFFSET, 1L << 30))));
        c.add(new Case("corrupt: refcount table runs past the end of the file", 2,
                damage(base, p -> p.putInt(Layout.HDR_REFCOUNT_TABLE_CLUSTERS,
                        (int) ((p.fileSize() - p.refcountTableOffset()) / p.clusterSize() + 1)))));
        c.add(new Case("corrupt: file truncated inside the data", 2,
                damage(base, p -> p.truncate(1_000_000))));
        c.add(new Case("corrupt: corrupt bit set, refcount 0 (checked anyway, read-only)", 2,
                damage(base, p -> {
                    p.orLong(Layout.HDR_INCOMPATIBLE_FEATURES, CORRUPT);
                    p.setRefcount(p.dataCluster(0, 3), 0);
                })));
        c.add(new Case("corrupt: version 3 snapshot entry without its 16 bytes of extra data", 2,
                damage(snapshots, p -> p.putInt(p.snapshotPos(1) + Layout.SNAPSHOT_EXTRA_DATA_SIZE, 8))));
        c.add(new Case("corrupt: snapshot L1 table not cluster aligned", 2,
                damage(snapshots, p -> {
                    long e = p.snapshotPos(0) + Layout.SNAPSHOT_L1_TABLE_OFFSET;
                    p.putLong(e, p.getLong(e) + 512);
                })));
        c.add(new Case("corrupt: snapshot L1 table past the end of the file", 2,
                damage(snapshots, p -> p.putLong(p.snapshotPos(0) + Layout.SNAPSHOT_L1_TABLE_OFFSET, 1L << 40))));

        // check errors: qemu prints its result and exits 1
        c.add(new Case("check errors: refcount block offset not cluster aligned", 1,
                damage(base, p -> p.putLong(p.refcountTableOffset(), p.getLong(p.refcountTableOffset()) + 512))));

        // could not check: qemu prints no result and exits 1
        c.add(new Case("could not check: bad magic", 1,
                damage(base, p -> p.putInt(Layout.HDR_MAGIC, 0))));
        c.add(new Case("could not check: snapshot entry with 2000 bytes of extra data", 1,
                damage(snapshots, p -> p.putInt(p.snapshotPos(0) + Layout.SNAPSHOT_EXTRA_DATA_SIZE, 2000))));
        c.add(new Case("could not check: bitmap directory entry of unknown type", 1,
                damage(ImageCheckerDifferentialTest::bitmaps,
                        p -> p.putByte(bitmapDirectory(p) + Layout.BITMAP_TYPE, 2))));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithQemuImgCheck(Case c) throws IOException {
        Path img = c.build().in(dir);
        QemuCheck qemu = QemuCheck.run(img);
        assertEquals(c.exit(), qemu.exitCode(), "the case was meant to make qemu-img check exit " + c.exit()
                + "; qemu said:\n" + qemu.stdout() + qemu.stderr());
        if (!qemu.printedResult()) {
            assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img), "qemu could not check:\n"
                    + qemu.stderr());
            return;
        }
        CheckResult ours = ImageChecker.check(img);
        assertEquals(qemu.counters(), QemuCheck.counters(ours), () -> "qemu:\n" + qemu.stderr() + "ours:\n"
                + String.join("\n", ours.problems().stream().map(CheckProblem::toString).toList()));
        assertEquals(qemu.exitCode(), ours.exitCode());
    }

    @Test
    void committedTestImagesAgreeWithQemu() throws IOException {
        List<String> names = new ArrayList<>(TestData.imageNames());
        names.addAll(TestData.chainNames());
        for (String n : names) {
            Path img = TestData.image(n);
            QemuCheck qemu = QemuCheck.run(img);
            CheckResult ours = ImageChecker.check(img);
            assertEquals(qemu.counters(), QemuCheck.counters(ours), n);
            assertEquals(qemu.exitCode(), ours.exitCode(), n);
            assertEquals(0, ours.exitCode(), n + " is a clean qemu-made image");
        }
    }

    // ---- qemu's idiosyncrasies, kept on purpose --------------------------------------------

    /**
     * A used data cluster whose refcount is 0 counts as two corruptions in qemu: the refcount
     * mismatch and the OFLAG_COPIED flag that no longer matches refcount 1. We count both too.
     */
    @Test
    void zeroRefcountOfUsedClusterCountsTwice() throws IOException {
        Path img = base(dir);
        long cluster;
        try (ImagePoker p = ImagePoker.open(img)) {
            cluster = p.dataCluster(0, 3);
            p.setRefcount(cluster, 0);
        }
        CheckResult r = ImageChecker.check(img);
        assertEquals(2, QemuCheck.run(img).get("corruptions"));
        assertEquals(2, r.corruptions());
        long offset = cluster << 16;
        assertTrue(r.problems().stream().anyMatch(p -> p.severity() == Severity.CORRUPTION
                && p.structure().equals("cluster") && p.offset() == offset), r.problems().toString());
        assertTrue(r.problems().stream().anyMatch(p -> p.message().contains("OFLAG_COPIED is set but the stored"
                + " refcount is 0")), r.problems().toString());
    }

    /**
     * An L2 table shared by the active L1 table and two snapshots is walked once per L1 table, so
     * qemu counts a bad entry in it three times. So do we (each finding names the L1 table).
     */
    @Test
    void sharedL2TableIsCountedOncePerL1Table() throws IOException {
        Path img = create(dir, "cluster_size=4096", 1 << 20, "write -P 1 0 64k");
        qemuImg("snapshot", "-c", "s1", img.toString());
        qemuImg("snapshot", "-c", "s2", img.toString());
        damaged(img, p -> p.setL2Entry(0, 1, p.l2Entry(0, 1) | 1L << 57));
        CheckResult r = ImageChecker.check(img);
        assertEquals(3, QemuCheck.run(img).get("corruptions"));
        assertEquals(3, r.corruptions());
        assertEquals(3, r.problems().stream().map(CheckProblem::message).distinct().count(), r.problems().toString());
    }

    /**
     * qemu compares refcounts only for clusters inside the file: a refcount set for a cluster
     * past the end of the file is not a leak. Neither is it for us.
     */
    @Test
    void refcountsPastTheEndOfTheFileAreNotExamined() throws IOException {
        Path img = base(dir);
        damaged(img, p -> p.setRefcount(p.fileSize() / p.clusterSize() + 10, 1));
        assertEquals(0, QemuCheck.run(img).exitCode());
        assertEquals(0, ImageChecker.check(img).exitCode());
    }

    // ---- where we knowingly differ ---------------------------------------------------------

    /**
     * A file truncated inside the active L1 table: qemu reads the missing part as zeros and
     * reports corruptions (exit 2); {@link HeaderParser#read} refuses the header, so we cannot check
     * (exit 1, with the reason). Both tell the operator the image is unusable.
     */
    @Test
    void truncatedL1TableCannotBeCheckedWhereQemuReportsCorruption() throws IOException {
        Path img = damaged(sparse(dir), p -> p.truncate(p.l1TableOffset() + 8));
        QemuCheck qemu = QemuCheck.run(img);
        assertEquals(2, qemu.exitCode(), qemu.stdout());
        Qcow2Exception e = assertThrows(Qcow2Exception.class, () -> ImageChecker.check(img));
        assertEquals("L1 table", e.structure(), e.getMessage());
        assertTrue(e.getMessage().contains(img.toString()), e.getMessage());
    }
}
