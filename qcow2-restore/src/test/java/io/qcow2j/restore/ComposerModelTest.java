package io.qcow2j.restore;

import static io.qcow2j.restore.ModelChecks.assertMapMatches;
import static io.qcow2j.restore.ModelChecks.assertRestoreMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Extent;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.restore.internal.compose.Windows;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.target.TargetKind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Composition rules (docs/architecture.md, invariant 2) on chains written by
 * {@link ChainModel#write}, checked against the {@link ChainModel}: the composed map (who decides
 * each byte, and how) and the restored disk.
 */
class ComposerModelTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;

    @TempDir
    Path dir;

    private List<Path> write(ChainModel m) throws IOException {
        return m.write(dir);
    }

    private Path target() {
        return dir.resolve("disk.raw");
    }

    private static RestoreOptions opts() {
        return RestoreOptions.builder().workers(2).build();
    }

    @Test
    void zeroClusterAndZeroSubclusterHideOlderData() throws IOException {
        Image full = new Image(16, false, 1 * M).write(0, 1 * M, 1);
        Image zeroFlag = new Image(16, false, 1 * M).zero(64 * K, 64 * K);
        Image zeroBits = new Image(16, true, 1 * M).zero(256 * K + 2 * K, 2 * K); // one 2 KiB subcluster
        ChainModel m = new ChainModel(List.of(full, zeroFlag, zeroBits));
        List<Path> files = write(m);

        ChainMap map = assertMapMatches(m, files);
        assertTrue(map.extents().contains(new ComposedExtent(1, Extent.zero(64 * K, 64 * K))), map.extents()::toString);
        assertTrue(map.extents().contains(new ComposedExtent(2, Extent.zero(258 * K, 2 * K))), map.extents()::toString);
        assertRestoreMatches(m, files, target(), opts());
        byte[] disk = m.expectedDisk();
        assertTrue(isZero(disk, 64 * K, 64 * K) && isZero(disk, 258 * K, 2 * K), "model: zero hides");
        assertTrue(!isZero(disk, 256 * K, 2 * K) && !isZero(disk, 260 * K, 2 * K), "model: neighbours keep data");
    }

    @Test
    void unallocatedFallsThroughToTheNewestImageThatHasTheBytes() throws IOException {
        Image full = new Image(16, false, 1 * M).write(0, 1 * M, 1);
        Image inc1 = new Image(16, false, 1 * M).write(128 * K, 64 * K, 2);
        Image inc2 = new Image(14, true, 1 * M).write(512 * K, 512, 3); // one subcluster
        ChainModel m = new ChainModel(List.of(full, inc1, inc2));
        List<Path> files = write(m);
        ChainMap map = assertMapMatches(m, files);
        assertEquals(1 * M - 64 * K - 512, map.contributed()[0]);
        assertEquals(64 * K, map.contributed()[1]);
        assertEquals(512, map.contributed()[2]);
        assertEquals(0, map.unallocatedBytes());
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void nothingAllocatedAnywhereReadsAsZerosFromNoImage() throws IOException {
        ChainModel m = new ChainModel(List.of(new Image(9, false, 64 * K), new Image(21, true, 64 * K)));
        List<Path> files = write(m);
        ChainMap map = assertMapMatches(m, files);
        assertEquals(List.of(new ComposedExtent(-1, Extent.zero(0, 64 * K))), map.extents());
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void mixedClusterSizesAlongTheChain() throws IOException {
        Image full = new Image(21, false, 4 * M).write(0, 4 * M, 1); // two 2 MiB clusters
        Image small = new Image(9, false, 4 * M).write(1000 * K, 3 * K, 2).zero(2 * M - 512, 1024);
        Image ext16k = new Image(14, true, 4 * M).write(5 * K, 100, 3).discard(0, 1).zero(3 * M + 512, 512);
        Image ext2m = new Image(21, true, 4 * M).write(2 * M + 64 * K, 64 * K, 4).zero(64 * K * 3, 64 * K);
        Image mid = new Image(16, false, 4 * M).write(3 * M - 32 * K, 64 * K, 5);
        ChainModel m = new ChainModel(List.of(full, small, ext16k, ext2m, mid));
        List<Path> files = write(m);
        assertMapMatches(m, files);
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void growingVirtualSizeReadsZerosPastTheOlderEnd() throws IOException {
        Image full = new Image(16, false, 1 * M).write(0, 1 * M, 1);
        Image grown = new Image(16, false, 3 * M).write(2 * M, 64 * K, 2);
        ChainModel m = new ChainModel(List.of(full, grown));
        List<Path> files = write(m);
        ChainMap map = assertMapMatches(m, files);
        // the grown image's holes fall through to the full, which reads as zeros past its end
        assertEquals(0, map.unallocatedBytes());
        assertEquals(3 * M - 64 * K, map.contributed()[0]);
        assertTrue(map.extents().contains(new ComposedExtent(0, Extent.zero(1 * M, 1 * M))), map.extents()::toString);
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void smallerMiddleImageHidesTheOlderTail() throws IOException {
        // qemu reads a backing file that is shorter than its overlay as zeros past its end; the
        // middle image's end therefore hides the full's tail for the newer image
        Image full = new Image(16, false, 2 * M).write(0, 2 * M, 1);
        Image shrunk = new Image(12 + 4, false, 1 * M).write(0, 64 * K, 2);
        Image top = new Image(14, true, 2 * M).write(1536 * K, 16 * K, 3);
        ChainModel m = new ChainModel(List.of(full, shrunk, top));
        List<Path> files = write(m);
        ChainMap map = assertMapMatches(m, files);
        assertEquals(1 * M - 64 * K, map.contributed()[0]);
        assertEquals(64 * K + (1 * M - 16 * K), map.contributed()[1], "the shrunk image decides its tail as zeros");
        byte[] disk = m.expectedDisk();
        assertTrue(isZero(disk, 1 * M, 512 * K) && !isZero(disk, 1536 * K, 16 * K));
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void smallerNewestImageTruncatesTheDisk() throws IOException {
        Image full = new Image(16, false, 2 * M).write(0, 2 * M, 1);
        Image top = new Image(16, false, 1 * M + 512).write(64 * K, 64 * K, 2);
        ChainModel m = new ChainModel(List.of(full, top));
        List<Path> files = write(m);
        assertMapMatches(m, files);
        assertRestoreMatches(m, files, target(), opts());
    }

    @Test
    void contiguousDataClustersComposeIntoOneExtent() throws IOException {
        Image full = new Image(16, false, 4 * M).write(M, 16 * 64 * K, 1);
        Image inc = new Image(16, false, 4 * M);
        ChainModel m = new ChainModel(List.of(full, inc));
        List<Path> files = write(m);
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            List<ComposedExtent> composed = new Composition(chain.images()).compose(0, 4 * M);
            List<ComposedExtent> data = composed.stream().filter(c -> c.kind() == Extent.Kind.DATA).toList();
            assertEquals(1, data.size(), composed::toString);
            assertEquals(M, data.get(0).start());
            assertEquals(16 * 64 * K, data.get(0).length());
            assertEquals(3, composed.size(), composed::toString);
        }
        // teeth: with host offsets out of order the same run cannot be one read
        Path rev = dir.resolve("rev");
        java.nio.file.Files.createDirectories(rev);
        List<Path> reversed = m.write(rev, true);
        try (Chain chain = Chain.open(reversed, OpenOptions.defaults())) {
            long dataExtents = new Composition(chain.images()).compose(0, 4 * M).stream()
                    .filter(c -> c.kind() == Extent.Kind.DATA).count();
            assertEquals(16, dataExtents);
        }
        assertRestoreMatches(m, reversed, target(), opts());
    }

    @Test
    void extentsCrossingWindowBoundariesOfASparseDisk() throws IOException {
        long window = Windows.SIZE;
        long size = 200 * M;
        Image full = new Image(16, false, size)
                .write(window - 128 * K, 256 * K, 1)              // one run across the first boundary
                .write(2 * window - 64 * K, 64 * K, 2)            // ends exactly at the second
                .write(size - 64 * K, 64 * K, 3);                 // the disk's last cluster
        Image inc = new Image(14, true, size)
                .zero(window - 16 * K, 32 * K)                    // zero across the boundary
                .write(2 * window, 512, 4);                       // starts exactly at the second boundary
        ChainModel m = new ChainModel(List.of(full, inc));
        List<Path> files = write(m);
        ChainMap map = assertMapMatches(m, files);
        assertTrue(map.extents().contains(new ComposedExtent(1, Extent.zero(window - 16 * K, 32 * K))),
                map.extents()::toString);
        RestoreResult r = assertRestoreMatches(m, files, target(), opts());
        assertEquals(256 * K + 64 * K + 64 * K + 512 - 32 * K, r.dataBytes());
        // a sparse new file: only the data were written
        assertEquals(r.dataBytes(), r.bytesWritten());
    }

    @Test
    void contributedBytesSumToTheVirtualSize() throws IOException {
        Image full = new Image(15, false, 3 * M).write(0, 1 * M, 1);
        Image a = new Image(9, false, 2 * M).zero(100 * K, 10 * K).write(1500 * K, 4 * K, 2);
        Image b = new Image(18, true, 5 * M).write(4 * M, 8 * K, 3);
        ChainModel m = new ChainModel(List.of(full, a, b));
        ChainMap map = assertMapMatches(m, write(m));
        long sum = map.unallocatedBytes();
        for (long c : map.contributed()) {
            sum += c;
        }
        assertEquals(5 * M, sum);
        assertTrue(map.unallocatedBytes() > 0 && map.contributed()[1] > 0);
    }

    @Test
    void composeOfASubrangeIsTheMatchingSliceOfTheWhole() throws IOException {
        Image full = new Image(16, false, 2 * M).write(0, 2 * M, 1);
        Image inc = new Image(14, true, 2 * M).write(100 * K, 300 * K, 2).zero(700 * K, 50 * K);
        ChainModel m = new ChainModel(List.of(full, inc));
        try (Chain chain = Chain.open(write(m), OpenOptions.defaults())) {
            Composition c = new Composition(chain.images());
            List<ComposedExtent> part = c.compose(90 * K, 700 * K);
            assertEquals(90 * K, part.get(0).start());
            assertEquals(790 * K, part.get(part.size() - 1).end());
            for (ComposedExtent e : part) {
                assertEquals(m.owner(e.start()), e.image(), e::toString);
            }
            assertEquals(List.of(), c.compose(2 * M, 1 * M), "past the end nothing is composed");
            assertEquals(64 * K, c.compose(2 * M - 64 * K, 1 * M).stream().mapToLong(ComposedExtent::length).sum());
        }
    }

    @Test
    void aNewFileGetsOnlyTheDataWritten() throws IOException {
        Image full = new Image(16, false, 8 * M).write(0, 256 * K, 1);
        Image inc = new Image(16, false, 8 * M).zero(0, 64 * K);
        ChainModel m = new ChainModel(List.of(full, inc));
        RestoreResult r = assertRestoreMatches(m, write(m), target(), opts());
        assertEquals(TargetKind.NEW_FILE, r.targetKind());
        assertEquals(192 * K, r.bytesWritten());
        assertEquals(8 * M - 192 * K, r.zeroBytesSkipped());
    }

    private static boolean isZero(byte[] b, long off, long len) {
        for (long i = off; i < off + len; i++) {
            if (b[(int) i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void modelSanity() {
        // the model itself: zero after write clears, discard falls through
        Image a = new Image(9, false, 4 * K).write(0, 4 * K, 7);
        Image b = new Image(9, false, 4 * K).write(0, 1, 8).zero(512, 512).discard(0, 1);
        byte[] disk = new ChainModel(List.of(a, b)).expectedDisk();
        byte[] expected = a.granuleData(0).clone();
        assertArrayEquals(expected, java.util.Arrays.copyOf(disk, 512));
        assertTrue(isZero(disk, 512, 512));
    }
}
