package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A buffered restore drops the target's pages from the page cache once they are on the disk
 * ({@link RestoreOptions#releasePageCache()}, on by default), so it holds a flush interval of page
 * cache instead of the whole disk's data, and the disk is still the one the chain describes.
 * Residency is read with {@link Residency} before anything reads the target back. On tmpfs
 * the page cache is the file itself and cannot be dropped: the tests skip there with the reason.
 */
class PageCacheReleaseTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;
    private static final long SIZE = 16 * M;
    /** Clean pages the kernel may still hold for a moment (in another CPU's batch, say): 4 pages. */
    private static final long SLACK = 16 * K;

    @TempDir
    Path dir;

    private ChainModel model;
    private List<Path> chain;

    @BeforeEach
    void chain() throws IOException {
        Shell.Result fs = Shell.run("stat", "-f", "-c", "%T", dir.toString());
        assumeFalse(fs.out().strip().matches("tmpfs|ramfs"), () -> dir + " is on " + fs.out().strip()
                + ": its pages are the file and cannot be released");
        // 12 MiB of data, with zeros and a second image over it
        Image full = new Image(16, false, SIZE).write(0, 10 * M, 1).write(12 * M, 2 * M, 2);
        Image inc = new Image(16, false, SIZE).zero(M, 512 * K).write(5 * M, 3 * M, 3);
        model = new ChainModel(List.of(full, inc));
        chain = model.write(Files.createDirectories(dir.resolve("chain")));
    }

    @Test
    void newFileEndsOutOfThePageCache() throws IOException {
        Path target = dir.resolve("new.raw");
        RestoreResult r = Restore.run(chain, target, RestoreOptions.builder().workers(2).flushEveryBytes(M).build());
        long cached = Residency.residentBytes(target, SIZE);
        assertTrue(cached <= SLACK, "the restore left " + cached + " bytes of the target in the page cache");
        ModelChecks.assertDiskEquals(model, target);
        assertEquals(DiskDigest.of(target, SIZE), r.digest());
    }

    @Test
    void withoutBackgroundFlushesTheFinalFlushStillReleases() throws IOException {
        Path target = dir.resolve("noflush.raw");
        Restore.run(chain, target, RestoreOptions.builder().workers(2).flushEveryBytes(0).build());
        long cached = Residency.residentBytes(target, SIZE);
        assertTrue(cached <= SLACK, "the restore left " + cached + " bytes of the target in the page cache");
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void turnedOffTheDiskStaysCached() throws IOException {
        // the control: the probe does see a restore's pages, so the counts above are the release's work
        Path target = dir.resolve("kept.raw");
        Restore.run(chain, target,
                RestoreOptions.builder().workers(2).flushEveryBytes(M).releasePageCache(false).build());
        long cached = Residency.residentBytes(target, SIZE);
        assertTrue(cached >= 10 * M, "a restore keeping the page cache left only " + cached + " bytes cached");
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void existingFileIsOverwrittenAndReleased() throws IOException {
        Path target = dir.resolve("existing.raw");
        Files.write(target, ModelChecks.garbage(SIZE + M, 7)); // cached now: written just above
        Restore.run(chain, target, RestoreOptions.builder().workers(2).flushEveryBytes(M).build());
        long cached = Residency.residentBytes(target, SIZE);
        assertTrue(cached <= SLACK, "the restore left " + cached + " bytes of the target in the page cache");
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void blockDeviceIsReleasedAndNothingPastTheDiskChanges() throws IOException {
        long deviceSize = SIZE + 2 * M;
        Path backing = dir.resolve("device.img");
        byte[] before = ModelChecks.garbage(deviceSize, 9);
        Files.write(backing, before);
        try (LoopDevice dev = LoopDevice.attachOrSkip(backing);
                // the kernel drops a device's page cache at its last close: held open here, as
                // another opener would, the cache outlives the restore and shows what it left
                FileChannel holder = FileChannel.open(dev.path(), StandardOpenOption.READ)) {
            // the control: a device's page cache is seen too
            Restore.run(chain, dev.path(),
                    RestoreOptions.builder().workers(2).flushEveryBytes(M).releasePageCache(false).build());
            long kept = Residency.residentBytes(dev.path(), SIZE);
            assertTrue(kept >= 10 * M, "a restore keeping the page cache left only " + kept + " bytes cached");

            Restore.run(chain, dev.path(), RestoreOptions.builder().workers(2).flushEveryBytes(M).build());
            long cached = Residency.residentBytes(dev.path(), SIZE);
            assertTrue(cached <= SLACK, "the restore left " + cached + " bytes of the device in the page cache");
            ModelChecks.assertDeviceHolds(model, dev.path(), before);
        }
    }

}
