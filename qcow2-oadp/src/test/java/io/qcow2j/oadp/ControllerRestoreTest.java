package io.qcow2j.oadp;

import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.zero;
import static io.qcow2j.oadp.ControllerBackup.NS;
import static io.qcow2j.oadp.ControllerBackup.VM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.RestoreCancelledException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.TargetState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores from the controller's layout in a directory, compared with its downloader's workflow
 * (chained {@code qemu-img rebase -u}, then {@code convert}), and the image checks that need real
 * images: sizes, backing file names, validity.
 */
@RequiresQemu
class ControllerRestoreTest {
    private static final long M = 1 << 20;
    @TempDir
    Path dir;
    ControllerBackup b;
    ControllerBackup.DiskChain disk;
    Path target;

    /** cp1 full, cp2 and cp3 incrementals with libvirt backing names; then a reset: cp4 full, cp5. */
    @BeforeEach
    void backup() throws IOException {
        disk = new ControllerBackup.DiskChain(dir.resolve("img"), "rootdisk", 16 * M, 65536);
        disk.full(data(0, 4 * M), data(6 * M, 3 * M));
        disk.incremental(data(M, M + 65536), zero(7 * M, 512 * 1024));
        disk.incremental(data(2 * M, 4096), data(12 * M, M));
        disk.full(data(0, 8 * M));
        disk.incremental(data(3 * M, 2 * M), zero(M, M));
        b = new ControllerBackup();
        List<Path> imgs = disk.images();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", imgs.get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", imgs.get(1)));
        b.checkpoint("cp3", "incremental", "cp2", Map.of("rootdisk", imgs.get(2)));
        b.checkpoint("cp4", "full", null, Map.of("rootdisk", imgs.get(3)));
        b.checkpoint("cp5", "incremental", "cp4", Map.of("rootdisk", imgs.get(4)));
        b.backup("b3", "cp1", "cp2", "cp3");
        b.backup("b5", "cp4", "cp5");
        target = dir.resolve("disk.raw");
    }

    @Test
    void runRestoresWithTheOptionsGivenToPrepare() throws IOException {
        VmPlan plan = VmRestorePlanner.planVolume(b.writeTo(dir.resolve("bsl")), "b5", NS, VM, "rootdisk", target);
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        RestoreOptions options = RestoreOptions.builder().progress((d, total) -> done.set(d)).build();
        try (VmRestore r = VmRestore.prepare(plan, options)) {
            r.run(); // the options once
            assertEquals(r.totalSize(), done.get(), "the progress listener given to prepare saw the whole disk");
        }
        assertSameAsDownloader(disk.images().subList(3, 5));
    }

    @Test
    void aCancelBeforeRunStartsNoDiskAndLeavesItsTargetUntouched() throws IOException {
        VmPlan plan = VmRestorePlanner.planVolume(b.writeTo(dir.resolve("bsl")), "b3", NS, VM, "rootdisk", target);
        RestoreOptions options = RestoreOptions.builder().build();
        try (VmRestore r = VmRestore.prepare(plan, options)) {
            r.cancel();
            RestoreCancelledException e = assertThrows(RestoreCancelledException.class, () -> r.run(options));
            assertEquals(TargetState.NOT_CREATED, e.targetState(), e.getMessage());
            assertTrue(e.getMessage().contains("rootdisk"), "names the disk: " + e.getMessage());
        }
        assertFalse(Files.exists(target));
    }

    private void restore(String backup) throws IOException {
        VmPlan plan = VmRestorePlanner.planVolume(b.writeTo(dir.resolve("bsl")), backup, NS, VM, "rootdisk", target);
        RestoreOptions options = RestoreOptions.builder().build();
        try (VmRestore r = VmRestore.prepare(plan, options)) {
            Chain chain = r.disks().get(0).chain();
            List<String> notes = chain.notes();
            int incrementals = chain.images().size() - 1;
            // every incremental stores the same name: one note says so, however long the chain
            assertEquals(1, notes.size(), "one note for one stored backing name: " + notes);
            // one short line: which image(s), the stored name, and that it was not opened
            String first = chain.images().get(1).name();
            assertEquals((incrementals == 1 ? first + ": stores" : incrementals + " images store")
                    + " backing file name '" + disk.backingName() + "' (not opened)", notes.get(0));
            r.run(options);
        }
    }

    private void assertSameAsDownloader(List<Path> chain) throws IOException {
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.oracleChained(oracle, chain, dir.resolve("scratch"));
        assertArrayEquals(Files.readAllBytes(oracle), Files.readAllBytes(target));
    }

    private InvalidBackupLayoutException refused(Executable call, String... fragments) {
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks \"" + f + "\": " + e.getMessage());
        }
        assertFalse(Files.exists(target), "target untouched");
        return e;
    }

    @Test
    void sameBytesAsTheDownloaderForEachChainOfTheIndex() throws IOException {
        restore("b3");
        assertSameAsDownloader(disk.images().subList(0, 3));
        Files.delete(target);
        restore("b5");
        assertSameAsDownloader(disk.images().subList(3, 5));
    }

    @Test
    void sizeMismatchRefused() {
        b.file("cp2", "rootdisk").put("size", b.file("cp2", "rootdisk").path("size").asLong() + 512);
        InvalidBackupLayoutException e = refused(() -> restore("b3"), "vmb-cp2-rootdisk.qcow2", "checkpoint cp2",
                "size mismatch");
        assertTrue(e.resource().endsWith("checkpoints/vm-ns/vm1/cp2/vmb-cp2-rootdisk.qcow2"), e.resource());
    }

    @Test
    void missingObjectRefused() throws IOException {
        b.writeTo(dir.resolve("bsl"));
        b.images.remove(b.key("cp3", "rootdisk"));
        Files.delete(new DirectoryBackupLocation(dir.resolve("bsl")).resolve(b.key("cp3", "rootdisk")));
        VmPlan plan = VmRestorePlanner.planVolume(new DirectoryBackupLocation(dir.resolve("bsl")), "b3", NS, VM,
                "rootdisk", target);
        refused(() -> VmRestore.prepare(plan, RestoreOptions.builder().build()).close(), "checkpoint cp3", "not found");
    }

    @Test
    void incrementalWithoutBackingNameRefused() throws IOException {
        QemuImg.removeBacking(disk.images().get(1));
        b.file("cp2", "rootdisk").put("size", Files.size(disk.images().get(1)));
        refused(() -> restore("b3"), "checkpoint cp2", "stores no backing file");
    }

    @Test
    void fullWithBackingNameRefused() throws IOException {
        Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", "/elsewhere/disk.img",
                disk.images().get(3).toString());
        b.file("cp4", "rootdisk").put("size", Files.size(disk.images().get(3)));
        refused(() -> restore("b5"), "checkpoint cp4", "backing file");
    }

    @Test
    void corruptL2EntryRefusedNamingObjectAndCheckpoint() throws IOException {
        try (ImagePoker p = ImagePoker.open(disk.images().get(2))) {
            p.orLong(p.findL2Entry("a data cluster", ImagePoker.L2Ref::data).pos(), 1L << 3); // a reserved bit
        }
        InvalidBackupLayoutException e = refused(() -> restore("b3"), "vmb-cp3-rootdisk.qcow2", "checkpoint cp3",
                "L2");
        assertTrue(e.getCause() instanceof io.qcow2j.core.InvalidImageException, String.valueOf(e.getCause()));
    }

    @Test
    void truncatedObjectRefused() throws IOException {
        Path img = disk.images().get(1);
        try (ImagePoker p = ImagePoker.open(img)) {
            p.truncate(p.fileSize() - 65536);
        }
        b.file("cp2", "rootdisk").put("size", Files.size(img));
        refused(() -> restore("b3"), "checkpoint cp2", "vmb-cp2-rootdisk.qcow2");
    }

    @Test
    void notQcow2Refused() throws IOException {
        Path img = disk.images().get(0);
        Files.write(img, new byte[(int) Files.size(img)]);
        refused(() -> restore("b3"), "checkpoint cp1", "vmb-cp1-rootdisk.qcow2");
        assertEquals(Files.size(img), b.file("cp1", "rootdisk").path("size").asLong());
    }
}
