package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.internal.target.Buffers;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.internal.target.TargetOptions;
import io.qcow2j.restore.internal.target.Targets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores with {@code O_DIRECT} ({@link RestoreOptions#directIo()}): the disk is the same as
 * through the page cache, aligned writes really bypass it, and unaligned heads and tails (odd disk
 * ends, clusters smaller than {@link Target#BUFFER_ALIGN}) still land. Page-cache residency is read
 * with {@link Residency} ({@code mincore}).
 */
class DirectIoTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;
    /** Not a multiple of the 4 MiB block, the 64 KiB unit or a page. */
    private static final long SIZE = 10 * M + 3 * 512;

    @TempDir
    Path dir;

    /** 8 MiB of 64 KiB-cluster data (direct), and 4 KiB / 512-byte clusters cutting it unaligned. */
    private ChainModel mixedChain() {
        Image full = new Image(16, false, SIZE).write(0, 8 * M, 1).write(9 * M, 64 * K, 2);
        Image inc1 = new Image(12, false, SIZE).zero(M, 512 * K).write(2 * M + 5 * K, 20 * K, 3)
                .write(SIZE - 3 * 512, 3 * 512, 4);
        Image inc2 = new Image(9, false, SIZE).write(4 * M + 512, 1024, 5).zero(6 * M - 512, 1024);
        return new ChainModel(List.of(full, inc1, inc2));
    }

    @Test
    void newFileMatchesTheModelAndBypassesThePageCache() throws IOException {
        ChainModel model = mixedChain();
        List<Path> chain = model.write(Files.createDirectories(dir.resolve("chain")));
        Path target = dir.resolve("direct.raw");
        RestoreResult r = Restore.run(chain, target, RestoreOptions.builder().workers(2).directIo(true).build());
        long cached = Residency.residentBytes(target, SIZE); // before anything reads the target back
        assertTrue(r.directIo());
        ModelChecks.assertDiskEquals(model, target);
        assertEquals(DiskDigest.of(target, SIZE), r.digest());
        assertTrue(r.bytesWritten() > 7 * M, "written " + r.bytesWritten()); // 8.1 MiB of data, 0.5 MiB zeroed
        // only the unaligned pieces went through the page cache: a few pages around each cut
        assertTrue(cached <= 1 * M, "direct restore left " + cached + " bytes of the target in the page cache");
    }

    @Test
    void withoutDirectIoTheSameRestoreUsesThePageCache() throws IOException {
        // the control for the test above: the probe does see a buffered restore's pages, so its small
        // count there comes from O_DIRECT and not from a blind measurement (the release of clean
        // pages after the flush, on by default, would empty the cache too: off here)
        ChainModel model = mixedChain();
        List<Path> chain = model.write(Files.createDirectories(dir.resolve("chain")));
        Path target = dir.resolve("buffered.raw");
        RestoreResult r = Restore.run(chain, target,
                RestoreOptions.builder().workers(2).flushEveryBytes(0).releasePageCache(false).build());
        assertFalse(r.directIo());
        long cached = Residency.residentBytes(target, SIZE);
        assertTrue(cached >= 4 * M, "a buffered restore left only " + cached + " bytes cached");
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void existingGarbageFileIsFullyOverwritten() throws IOException {
        ChainModel model = mixedChain();
        List<Path> chain = model.write(Files.createDirectories(dir.resolve("chain")));
        Path target = dir.resolve("existing.raw");
        Files.write(target, ModelChecks.garbage(SIZE + 3 * M, 11));
        RestoreResult r = Restore.run(chain, target, RestoreOptions.builder().workers(2).directIo(true).build());
        assertEquals(TargetKind.EXISTING_FILE, r.targetKind());
        ModelChecks.assertDiskEquals(model, target);
        assertEquals(DiskDigest.of(target, SIZE), r.digest());
    }

    @Test
    void blockDeviceGetsTheDiskAndNothingPastIt() throws IOException {
        ChainModel model = mixedChain();
        List<Path> chain = model.write(Files.createDirectories(dir.resolve("chain")));
        long deviceSize = 12 * M;
        Path backing = dir.resolve("device.img");
        byte[] before = ModelChecks.garbage(deviceSize, 5);
        Files.write(backing, before);
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing)) {
            RestoreResult r = Restore.run(chain, dev.path(), RestoreOptions.builder().directIo(true).build());
            assertEquals(TargetKind.BLOCK_DEVICE, r.targetKind());
            assertTrue(r.directIo());
            ModelChecks.assertDeviceHolds(model, dev.path(), before);
        }
    }

    /**
     * One write cut three ways: an unaligned head and tail through the page cache, the aligned body
     * past it. A buffer whose address does not line up with the file position goes buffered whole.
     */
    @Test
    void oneWriteSplitsIntoBufferedHeadDirectBodyBufferedTail() throws IOException {
        int unit = Buffers.ALIGN;
        long size = 64L * unit;
        Path path = dir.resolve("split.raw");
        byte[] expected = new byte[(int) size];
        // page cache kept: what stays cached after the force shows which parts went buffered
        try (Sink t = Targets.open(Targets.inspect(path, size), size, new TargetOptions(false, true, false))) {
            assertTrue(t.direct());
            ByteBuffer buf = Buffers.aligned(16 * unit);
            byte[] data = ModelChecks.garbage(16 * unit, 3);
            buf.put(0, data);
            // file position and buffer address both 1000 bytes short of a unit boundary
            int from = unit - 1000;
            int len = 8 * unit + 1000 + 777;
            long pos = 5L * unit - 1000;
            t.write(buf.slice(from, len), pos);
            System.arraycopy(data, from, expected, (int) pos, len);
            // address off by one against the position: no aligned body, all buffered
            t.write(buf.slice(1, 2 * unit), 30L * unit);
            System.arraycopy(data, 1, expected, 30 * unit, 2 * unit);
            t.force();
        }
        long cached = Residency.residentBytes(path, size);
        assertArrayEquals(expected, Files.readAllBytes(path));
        long pageSize = 4096;
        // head and tail: one page each; the misaligned write: all of it
        assertTrue(cached <= 2 * unit + 4 * pageSize, "cached " + cached);
        assertTrue(cached >= 2 * unit, "the misaligned write must be in the page cache, cached " + cached);
    }

    /**
     * A file system without {@code O_DIRECT} (ramfs; tmpfs takes it since Linux 6.6): an error that
     * says so before the target changes, a new file removed again, an existing one untouched.
     * Needs a ramfs mount, so root; skips with the reason elsewhere.
     */
    @Test
    void fileSystemWithoutDirectIoIsAnErrorBeforeTheTargetChanges() throws IOException {
        ChainModel model = mixedChain();
        List<Path> chain = model.write(Files.createDirectories(dir.resolve("chain")));
        Path mnt = Files.createDirectories(dir.resolve("ramfs"));
        Shell.Result mount = Shell.run("mount", "-t", "ramfs", "qcow2j-test", mnt.toString());
        assumeTrue(mount.code() == 0, () -> "cannot mount a ramfs (exit " + mount.code() + ": " + mount.err().strip() + ")");
        try {
            Path fresh = mnt.resolve("new.raw");
            InvalidTargetException e = assertThrows(InvalidTargetException.class,
                    () -> Restore.run(chain, fresh, RestoreOptions.builder().directIo(true).build()));
            assertTrue(e.getMessage().contains("O_DIRECT") && e.getMessage().contains(fresh.toString()), e.getMessage());
            assertFalse(Files.exists(fresh), "the new file must be removed again");

            Path existing = mnt.resolve("existing.raw");
            byte[] before = ModelChecks.garbage(3 * M + 5, 21);
            Files.write(existing, before);
            assertThrows(InvalidTargetException.class,
                    () -> Restore.run(chain, existing, RestoreOptions.builder().directIo(true).build()));
            assertArrayEquals(before, Files.readAllBytes(existing), "an existing target stays as it was");

            // the same target without --direct works: the refusal is about O_DIRECT only
            Restore.run(chain, fresh, RestoreOptions.defaults());
            ModelChecks.assertDiskEquals(model, fresh);
        } finally {
            Shell.Result umount = Shell.run("umount", mnt.toString());
            assertEquals(0, umount.code(), () -> "umount " + mnt + ": " + umount.err());
        }
    }

    @Test
    void directIoIsOffByDefault() throws IOException {
        Path path = dir.resolve("plain.raw");
        try (Sink t = Targets.open(Targets.inspect(path, M), M, new TargetOptions(false, false, true))) {
            assertFalse(t.direct());
        }
    }

}
