package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.core.Extent;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.internal.target.Targets;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three kinds of target (docs/architecture.md, invariant 4): a new sparse file, an existing
 * file (resized, every zero range zeroed except its holes, unless the caller promises it reads as
 * zeros) and a block device (loop device where losetup works).
 */
class TargetsTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;
    /** Not a multiple of the 4 MiB block, the 64 KiB cluster or a page: the end is exercised too. */
    private static final long SIZE = 6 * M + 3 * 512;

    @TempDir
    Path dir;
    private ChainModel model;
    private List<Path> chain;

    /** Data, zero clusters hiding data, unallocated ranges and a zeroed tail. */
    @BeforeEach
    void chain() throws IOException {
        Image full = new Image(16, false, SIZE).write(0, 3 * M, 1).write(5 * M, 64 * K, 2);
        Image inc1 = new Image(12, false, SIZE).zero(M, 512 * K).write(2 * M + 5 * K, 20 * K, 3).zero(SIZE - 4 * K, 4 * K);
        Image inc2 = new Image(14, true, SIZE).write(6 * M, 512, 4).zero(64 * K, 1024);
        model = new ChainModel(List.of(full, inc1, inc2));
        chain = model.write(Files.createDirectories(dir.resolve("chain")));
    }

    @Test
    void newFileIsSparseAndExactlyTheVirtualSize() throws IOException {
        long size = 64 * M;
        Image full = new Image(16, false, size).write(0, 256 * K, 1).write(40 * M, 64 * K, 2);
        Image inc = new Image(16, false, size).zero(0, 64 * K).write(63 * M, 128 * K, 3);
        ChainModel m = new ChainModel(List.of(full, inc));
        Path d = Files.createDirectories(dir.resolve("sparse"));
        Path target = dir.resolve("sparse.raw");
        RestoreResult r = ModelChecks.assertRestoreMatches(m, m.write(d), target,
                RestoreOptions.defaults());
        assertEquals(TargetKind.NEW_FILE, r.targetKind());
        assertEquals(size, Files.size(target));
        long allocated = Shell.allocatedBytes(target);
        assertTrue(allocated < 8 * M, "a mostly empty 64 MiB disk must stay sparse, allocated " + allocated);
        assertEquals(192 * K + 64 * K + 128 * K, r.bytesWritten(), "only data is written to a new file");
    }

    @ParameterizedTest(name = "existing garbage file of {0} bytes")
    @ValueSource(longs = {0, 4096, SIZE - 1, SIZE, SIZE + 1, 3 * SIZE})
    void existingFileIsFullyOverwrittenAndResized(long garbageSize) throws IOException {
        Path target = dir.resolve("existing.raw");
        Files.write(target, ModelChecks.garbage(garbageSize, 7));
        RestoreResult r = Restore.run(chain, target, RestoreOptions.builder().workers(2).build());
        assertEquals(TargetKind.EXISTING_FILE, r.targetKind());
        ModelChecks.assertDiskEquals(model, target); // also checks the size is exactly the virtual size
        assertEquals(DiskDigest.of(target, SIZE), r.digest());
        assertEquals(SIZE, r.bytesWritten() + r.zeroBytesSkipped(), "every byte is written, zeroed or skipped");
        // only the hole a shorter file was extended with can be skipped
        assertTrue(r.zeroBytesSkipped() <= Math.max(0, SIZE - garbageSize), () -> "skipped " + r.zeroBytesSkipped());
        if (garbageSize >= SIZE) {
            assertEquals(0, r.zeroBytesSkipped(), "a file with data everywhere has every zero range zeroed");
        }
    }

    /**
     * An existing file that is partly a hole: zero ranges over its old data are zeroed, those over
     * its hole left alone (they read as zeros already), and the split happens inside one zero run.
     */
    @Test
    void holesOfAnExistingFileAreLeftAlone() throws IOException {
        long size = 16 * M;
        // data in [0, 1 MiB), every other byte unallocated: one zero run from 1 MiB to the end
        ChainModel m = new ChainModel(List.of(new Image(16, false, size).write(0, M, 1)));
        List<Path> c = m.write(Files.createDirectories(dir.resolve("half")));
        Path target = dir.resolve("half.raw");
        Files.write(target, ModelChecks.garbage(8 * M, 17));
        try (RandomAccessFile raf = new RandomAccessFile(target.toFile(), "rw")) {
            raf.setLength(size); // [8 MiB, 16 MiB) is a hole
        }
        assumeTrue(Shell.allocatedBytes(target) < 12 * M, "the filesystem of " + dir + " keeps no holes");
        RestoreResult r = Restore.run(c, target, RestoreOptions.builder().workers(2).build());
        ModelChecks.assertDiskEquals(m, target);
        assertEquals(8 * M, r.zeroBytesSkipped(), "the hole [8 MiB, 16 MiB) needs nothing");
        assertEquals(8 * M, r.bytesWritten(), "1 MiB of data, 7 MiB of old data zeroed");
        assertTrue(Shell.allocatedBytes(target) < 4 * M, "old data is punched out, not written over: "
                + Shell.allocatedBytes(target));
    }

    @Test
    void targetIsZeroSkipsZeroRangesSoGarbageStaysThere() throws IOException {
        // the promise is the caller's: on a target that does not read as zeros, the zero ranges keep
        // whatever was there (documented behaviour of --target-is-zero)
        Path target = dir.resolve("promised.raw");
        byte[] before = ModelChecks.garbage(SIZE + 5 * M, 9);
        Files.write(target, before);
        RestoreResult r = Restore.run(chain, target, RestoreOptions.builder().targetIsZero(true).build());
        assertEquals(SIZE, Files.size(target), "resized to the virtual size all the same");
        byte[] after = Files.readAllBytes(target);
        byte[] expected = model.expectedDisk();
        long zeroBytes = 0;
        try (Chain c = Chain.open(chain, OpenOptions.defaults())) {
            for (ComposedExtent e : ChainMap.of(c.images()).extents()) {
                int from = (int) e.start();
                int to = (int) e.end();
                if (e.kind() == Extent.Kind.ZERO) {
                    zeroBytes += to - from;
                    assertArrayEquals(Arrays.copyOfRange(before, from, to), Arrays.copyOfRange(after, from, to),
                            "zero range " + e + " must be skipped");
                } else {
                    assertArrayEquals(Arrays.copyOfRange(expected, from, to), Arrays.copyOfRange(after, from, to),
                            "data range " + e);
                }
            }
        }
        assertTrue(zeroBytes > M, "the chain must have zero ranges for this test to mean anything");
        assertEquals(zeroBytes, r.zeroBytesSkipped());
        assertEquals(SIZE - zeroBytes, r.bytesWritten());
    }

    @Test
    void blockDeviceLargerThanTheDiskIsOverwrittenOverTheVirtualSize() throws IOException {
        Path backing = dir.resolve("device.img");
        long deviceSize = 8 * M;
        byte[] before = ModelChecks.garbage(deviceSize, 11);
        Files.write(backing, before);
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing)) {
            RestoreResult r = Restore.run(chain, dev.path(), RestoreOptions.builder().workers(2).build());
            assertEquals(TargetKind.BLOCK_DEVICE, r.targetKind());
            ModelChecks.assertDeviceHolds(model, dev.path(), before);
            assertEquals(DiskDigest.of(dev.path(), SIZE), r.digest());
            assertEquals(SIZE, r.bytesWritten());
        }
        assertEquals(deviceSize, Files.size(backing), "a device is never resized");
    }

    /**
     * {@code Targets.kindOf}, the one classification of a target path: links followed, nothing
     * opened; anything but nothing, a regular file or a block device has no kind.
     */
    @Test
    void kindOfClassifiesWithoutTouching() throws IOException {
        Path file = Files.write(dir.resolve("file.raw"), new byte[4096]);
        assertEquals(Optional.of(TargetKind.NEW_FILE), Targets.kindOf(dir.resolve("absent.raw")));
        assertEquals(Optional.of(TargetKind.EXISTING_FILE), Targets.kindOf(file));
        assertEquals(Optional.of(TargetKind.EXISTING_FILE),
                Targets.kindOf(Files.createSymbolicLink(dir.resolve("link.raw"), file)));
        assertEquals(Optional.empty(), Targets.kindOf(dir));
        assertEquals(Optional.empty(), Targets.kindOf(Path.of("/dev/null")));
        assertEquals(4096, Files.size(file));
        Path backing = Files.write(dir.resolve("kind.img"), new byte[(int) M]);
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing)) {
            assertEquals(Optional.of(TargetKind.BLOCK_DEVICE), Targets.kindOf(dev.path()));
        }
    }

    /**
     * Zero runs on a device go out as write-zeroes that may unmap: a thin device (here a loop device
     * over a file, which turns them into holes) stays thin. BLKZEROOUT alone forbids unmapping.
     */
    @Test
    void blockDeviceZeroRunsAreUnmappedOnAThinDevice() throws IOException {
        Path probe = dir.resolve("probe.img");
        try (RandomAccessFile raf = new RandomAccessFile(probe.toFile(), "rw")) {
            raf.setLength(8 * M);
        }
        assumeTrue(Shell.allocatedBytes(probe) < M, "the filesystem of " + dir + " keeps no holes");
        Path backing = dir.resolve("thin.img");
        long deviceSize = 8 * M;
        Files.write(backing, ModelChecks.garbage(deviceSize, 19));
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing)) {
            RestoreResult r = Restore.run(chain, dev.path(), RestoreOptions.builder().workers(2).build());
            byte[] onDevice = read(dev.path(), 0, (int) SIZE);
            assertArrayEquals(model.expectedDisk(), onDevice, "the disk on the device");
            assertEquals(SIZE, r.bytesWritten());
        }
        // [3 MiB, 5 MiB) is unallocated in every image: one 2 MiB zero run, punched through the loop
        long allocated = Shell.allocatedBytes(backing);
        assertTrue(allocated <= deviceSize - 2 * M, "the 2 MiB zero run must be unmapped, backing file holds "
                + allocated + " of " + deviceSize + " bytes");
    }

    @Test
    void blockDeviceSmallerThanTheDiskIsRefusedBeforeAnyWrite() throws IOException {
        Path backing = dir.resolve("small-device.img");
        Files.write(backing, ModelChecks.garbage(4 * M, 13));
        String before = Sha256.of(backing);
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing)) {
            InvalidTargetException e = assertThrows(InvalidTargetException.class,
                    () -> Restore.run(chain, dev.path(), RestoreOptions.defaults()));
            assertTrue(e.getMessage().contains(dev.path().toString()) && e.getMessage().contains(Long.toString(SIZE)),
                    e.getMessage());
            assertEquals(before, Sha256.of(dev.path()), "device untouched");
        }
        assertEquals(before, Sha256.of(backing));
    }

    private static byte[] read(Path p, long off, int len) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(len);
            while (b.hasRemaining() && ch.read(b, off + b.position()) > 0) {
                // until full or end
            }
            return b.array();
        }
    }
}
