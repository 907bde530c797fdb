package io.qcow2j.oadp;

import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.zero;
import static io.qcow2j.oadp.ControllerBackup.NS;
import static io.qcow2j.oadp.ControllerBackup.VM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BackupVerifier} on the controller's layout in a directory: three backups sharing
 * checkpoints (b1 = cp1, b2 = cp1 cp2, b3 = cp1 cp2 cp3) and an unreferenced full checkpoint cp4;
 * each kind of damage is reported BROKEN for exactly the backups whose chain it is in.
 */
@RequiresQemu
class BackupVerifierTest {
    private static final long M = 1 << 20;
    @TempDir
    Path dir;
    ControllerBackup b;
    ControllerBackup.DiskChain disk;
    Path root;

    @BeforeEach
    void backups() throws IOException {
        disk = new ControllerBackup.DiskChain(dir.resolve("img"), "rootdisk", 16 * M, 65536);
        disk.full(data(0, 4 * M), data(6 * M, 3 * M));
        disk.incremental(data(M, M + 65536), zero(7 * M, 512 * 1024));
        disk.incremental(data(2 * M, 4096), data(12 * M, M));
        disk.full(data(0, 2 * M));
        b = new ControllerBackup();
        List<Path> imgs = disk.images();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", imgs.get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", imgs.get(1)));
        b.checkpoint("cp3", "incremental", "cp2", Map.of("rootdisk", imgs.get(2)));
        b.checkpoint("cp4", "full", null, Map.of("rootdisk", imgs.get(3)));
        b.backup("b1", "cp1");
        b.backup("b2", "cp1", "cp2");
        b.backup("b3", "cp1", "cp2", "cp3");
        root = dir.resolve("bsl");
    }

    private VerifyReport verify(boolean deep) throws IOException {
        DirectoryBackupLocation location = new DirectoryBackupLocation(root);
        return BackupVerifier.verify(location, VerifyScope.all(),
                VerifyOptions.metadata().withDeep(deep));
    }

    private static Set<String> broken(VerifyReport r) {
        Set<String> out = new TreeSet<>();
        r.disks().stream().filter(d -> !d.ok()).forEach(d -> out.add(d.backup()));
        return out;
    }

    /** The report names {@code backups} broken, and its first reason says {@code fragment}. */
    private VerifyReport assertBroken(Set<String> backups, String fragment) throws IOException {
        VerifyReport r = verify(false);
        assertEquals(backups, broken(r), () -> "broken backups: " + r.disks());
        assertEquals(3, r.disks().size(), "one line per backup and disk");
        for (DiskVerification d : r.disks()) {
            if (!d.ok()) {
                String m = d.findings().get(0).getMessage();
                assertTrue(m.contains(fragment), () -> d.backup() + ": reason lacks \"" + fragment + "\": " + m);
                assertNotNull(d.findings().get(0).resource(), "a finding names its resource");
            }
        }
        assertFalse(r.ok());
        return r;
    }

    @Test
    void healthyLocation() throws IOException {
        b.writeTo(root);
        Files.createDirectories(root.resolve("checkpoints/vm-ns/vm1/cp9"));
        Files.writeString(root.resolve("checkpoints/vm-ns/vm1/cp9/left-over.qcow2"), "x");
        Files.createDirectories(root.resolve("manifests/copied\\from-windows")); // no key names it: skipped
        VerifyReport r = verify(false);
        assertTrue(r.ok(), () -> String.valueOf(r.disks()));
        assertEquals(List.of("b1", "b2", "b3"), r.disks().stream().map(DiskVerification::backup).toList());
        DiskVerification b3 = r.disks().get(2);
        assertEquals(List.of("cp1", "cp2", "cp3"), b3.checkpoints());
        assertEquals(16 * M, b3.virtualSize());
        assertEquals(1L << 30, b3.pvcSize());
        long images = 0;
        for (int i = 0; i < 3; i++) {
            images += Files.size(disk.images().get(i));
        }
        assertEquals(images, b3.imageBytes());
        assertTrue(b3.winningBytes() > 7 * M && b3.winningBytes() < 11 * M, "winning bytes " + b3.winningBytes());
        // cp1's 7 MiB of data, less cp2's 512 KiB of zeros over it, plus cp3's 1 MiB at 12 MiB
        assertEquals(7 * M - M / 2 + M, b3.winningBytes(), "winning bytes of b3");
        assertTrue(b3.bytesRead() < images / 4, "metadata only: read " + b3.bytesRead() + " of " + images);
        assertTrue(r.missing().isEmpty(), String.valueOf(r.missing()));
        assertEquals(List.of(new UnreferencedCheckpoint(NS, VM, "cp4", Files.size(disk.images().get(3)), true),
                new UnreferencedCheckpoint(NS, VM, "cp9", -1, false)), r.unreferenced());
    }

    @Test
    void deepDigestIsTheRestoresDigest() throws IOException {
        DirectoryBackupLocation location = b.writeTo(root);
        VerifyReport r = verify(true);
        assertTrue(r.ok(), () -> String.valueOf(r.disks()));
        List<String> seen = new ArrayList<>();
        for (DiskVerification d : r.disks()) {
            Path target = dir.resolve(d.backup() + ".raw");
            VmPlan plan = VmRestorePlanner.planVolume(location, d.backup(), NS, VM, "rootdisk", target);
            RestoreOptions options = RestoreOptions.builder().build();
            try (VmRestore restore = VmRestore.prepare(plan, options)) {
                RestoreResult result = restore.run(options).get(0).result();
                assertEquals(result.digest(), d.digest(), d.backup());
                assertEquals(result.dataBytes(), d.winningBytes(), d.backup() + ": the bytes a restore writes");
            }
            assertEquals(DiskDigest.of(target, d.virtualSize()), d.digest(), d.backup() + ": the disk's own digest");
            seen.add(d.digest());
        }
        assertEquals(3, new TreeSet<>(seen).size(), "three different disks: " + seen);
    }

    /**
     * A 2 GiB disk (four L2 tables per image) in seven links, with an L2 budget far below the
     * chain's tables: opening the chain, validating every table and counting the winning bytes
     * reads each table once (the L2 floor), not once to validate and again to count.
     */
    private ControllerBackup longChain(ControllerBackup.DiskChain d) throws IOException {
        long table = 512 * M; // what one L2 table of 64 KiB clusters maps
        d.full(data(0, 2 * M), data(table + M, M), data(2 * table, 3 * M), data(3 * table + 5 * M, M));
        for (int i = 1; i < 7; i++) {
            d.incremental(data(i * M, 128 * 1024), zero(table + M + i * 65536, 65536), data(2 * table + i * M, 65536),
                    data(3 * table + i * 4 * M, 65536));
        }
        ControllerBackup lb = new ControllerBackup();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String id = "c" + i;
            lb.checkpoint(id, i == 0 ? "full" : "incremental", i == 0 ? null : "c" + (i - 1),
                    Map.of("rootdisk", d.images().get(i)));
            ids.add(id);
        }
        lb.backup("long", ids.toArray(String[]::new));
        return lb;
    }

    private static VerifyReport verifyWithL2Budget(Path root, long l2Bytes) throws IOException {
        RestoreOptions options = RestoreOptions.builder().open(OpenOptions.defaults().withL2CacheBytes(l2Bytes)).build();
        return BackupVerifier.verify(new DirectoryBackupLocation(root), VerifyScope.all(),
                VerifyOptions.metadata().withRestore(options));
    }

    @Test
    void longChainReadsEveryL2TableOnceAndCountsWhatARestoreWrites() throws IOException {
        ControllerBackup.DiskChain d = new ControllerBackup.DiskChain(dir.resolve("long"), "rootdisk", 2048 * M, 65536);
        Path longRoot = dir.resolve("long-bsl");
        DirectoryBackupLocation location = longChain(d).writeTo(longRoot);
        long floor = 0; // every L2 table inside the disk, read once
        long cluster = 65536;
        for (Path img : d.images()) {
            try (Qcow2Image q = Qcow2Image.open(img)) {
                assertEquals(4, q.allocatedL2Tables(), img + ": one table per 512 MiB written");
                floor += q.allocatedL2Tables() * cluster;
            }
        }
        VerifyReport r = verifyWithL2Budget(longRoot, 7 * cluster); // a quarter of the 28 tables' bytes
        assertTrue(r.ok(), () -> String.valueOf(r.disks()));
        DiskVerification v = r.disks().get(0);
        // beside the tables, each image's header cluster, one-cluster refcount table and 32-byte L1
        long overhead = d.images().size() * (2 * cluster + 4096);
        long read = v.bytesRead();
        assertTrue(read >= floor && read <= floor + overhead, "read " + read + " bytes; L2 floor " + floor
                + ", other metadata at most " + overhead);

        Path target = dir.resolve("long.raw");
        VmPlan plan = VmRestorePlanner.planVolume(location, "long", NS, VM, "rootdisk", target);
        RestoreOptions options = RestoreOptions.builder().build();
        try (VmRestore restore = VmRestore.prepare(plan, options)) {
            assertEquals(restore.run(options).get(0).result().dataBytes(), v.winningBytes(), "the bytes a restore writes");
        }
    }

    @Test
    void longChainCorruptL2EntryInTheOldestImagesLastTableIsFound() throws IOException {
        ControllerBackup.DiskChain d = new ControllerBackup.DiskChain(dir.resolve("long"), "rootdisk", 2048 * M, 65536);
        ControllerBackup lb = longChain(d);
        try (ImagePoker p = ImagePoker.open(d.images().get(0))) {
            p.orLong(p.findL2Entry("data in the last table", e -> e.data() && e.guestOffset() >= 1536 * M).pos(),
                    1L << 3); // a reserved bit
        }
        Path longRoot = dir.resolve("long-bsl");
        lb.writeTo(longRoot);
        VerifyReport r = verifyWithL2Budget(longRoot, 7 * 65536);
        assertFalse(r.ok());
        String m = r.disks().get(0).findings().get(0).getMessage();
        assertTrue(m.contains("L2") && m.contains("checkpoint c0"), m);
    }

    @Test
    void deletedObject() throws IOException {
        b.writeTo(root);
        Files.delete(root.resolve(b.key("cp3", "rootdisk")));
        VerifyReport r = assertBroken(Set.of("b3"), "not found");
        assertEquals(1, r.missing().size(), String.valueOf(r.missing()));
        assertEquals("b3", r.missing().get(0).backup());
        assertEquals("cp3", r.missing().get(0).checkpoint());
    }

    @Test
    void truncatedObject() throws IOException {
        Path img = disk.images().get(1);
        try (ImagePoker p = ImagePoker.open(img)) {
            p.truncate(p.fileSize() - 65536);
        }
        b.file("cp2", "rootdisk").put("size", Files.size(img));
        b.writeTo(root);
        assertBroken(Set.of("b2", "b3"), "vmb-cp2-rootdisk.qcow2");
    }

    @Test
    void objectReplacedByAnotherCheckpointsFile() throws IOException {
        // cp3 overwritten with the full image of cp4, its recorded size updated as a re-upload would:
        // only the order evidence in the image (no backing file name) tells
        b.file("cp3", "rootdisk").put("size", Files.size(disk.images().get(3)));
        b.writeTo(root);
        Files.copy(disk.images().get(3), root.resolve(b.key("cp3", "rootdisk")), StandardCopyOption.REPLACE_EXISTING);
        assertBroken(Set.of("b3"), "stores no backing file");
    }

    @Test
    void sizeMismatch() throws IOException {
        b.file("cp2", "rootdisk").put("size", b.file("cp2", "rootdisk").path("size").asLong() + 512);
        b.writeTo(root);
        assertBroken(Set.of("b2", "b3"), "size mismatch");
    }

    @Test
    void corruptL2Entry() throws IOException {
        try (ImagePoker p = ImagePoker.open(disk.images().get(2))) {
            p.orLong(p.findL2Entry("a data cluster", ImagePoker.L2Ref::data).pos(), 1L << 3); // a reserved bit
        }
        b.writeTo(root);
        VerifyReport r = assertBroken(Set.of("b3"), "L2");
        assertTrue(r.disks().get(2).findings().get(0).getMessage().contains("checkpoint cp3"));
    }

    @Test
    void supersededChainStillReferenced() throws IOException {
        b.entry("cp2").put("superseded", true);
        b.writeTo(root);
        VerifyReport r = assertBroken(Set.of("b2", "b3"), "superseded");
        assertEquals("checkpoint cp2", r.disks().get(1).findings().get(0).structure());
    }

    @Test
    void checkpointMissingFromTheIndex() throws IOException {
        var cps = b.index.withArray("checkpoints");
        for (int i = 0; i < cps.size(); i++) {
            if (cps.get(i).path("id").asText().equals("cp3")) {
                cps.remove(i);
            }
        }
        b.writeTo(root);
        VerifyReport r = assertBroken(Set.of("b3"), "not in the index");
        assertEquals(List.of(new MissingCheckpoint("b3", NS, VM, "cp3",
                "not in the checkpoint index " + root.resolve("checkpoints/vm-ns/vm1/index.json"))), r.missing());
    }

    @Test
    void wrongParent() throws IOException {
        b.entry("cp3").put("parent", "cp1");
        b.writeTo(root);
        assertBroken(Set.of("b3"), "parent is cp1");
    }

    @Test
    void aVmOnlyInSomeBackupsIsCheckedWhereItIs() throws IOException {
        b.writeTo(root);
        ControllerBackup other = new ControllerBackup(NS, "vm2");
        other.checkpoint("cq1", "full", null, Map.of("rootdisk", disk.images().get(3)));
        other.backup("b3", "cq1");
        other.writeTo(root);
        VerifyReport r = BackupVerifier.verify(new DirectoryBackupLocation(root),
                new VerifyScope(null, NS, "vm2", null), VerifyOptions.metadata());
        assertTrue(r.ok(), () -> String.valueOf(r.disks()));
        assertEquals(List.of("b3"), r.disks().stream().map(DiskVerification::backup).toList());
        assertEquals(4, BackupVerifier.verify(new DirectoryBackupLocation(root), VerifyScope.all(),
                VerifyOptions.metadata()).disks().size(), "b1, b2, b3 of vm1 and b3 of vm2");
    }

    @Test
    void designDocumentLayoutIsFoundAndItsImagesProven() throws IOException {
        VmLayoutFixture f = new VmLayoutFixture(dir.resolve("design"));
        f.write(); // dummy images: planning passes, opening them as qcow2 does not
        VerifyReport r = BackupVerifier.verify(f.location, VerifyScope.all(), VerifyOptions.metadata());
        assertEquals(List.of("bk-3/my-vm-pvc-0", "bk-3/my-vm-pvc-1", "bk-4/my-vm-pvc-0", "bk-4/my-vm-pvc-1"),
                r.disks().stream().map(d -> d.backup() + "/" + d.pvc()).toList());
        for (DiskVerification d : r.disks()) {
            assertFalse(d.ok());
            assertTrue(d.findings().get(0).getMessage().contains("checkpoint cp-001"), d.findings().toString());
            assertEquals(d.pvc().endsWith("0") ? 10L << 20 : 20L << 20, d.pvcSize(), "pvcSizes of the newest");
        }
    }

    @Test
    void scopeOfOneBackupAndDisk() throws IOException {
        b.writeTo(root);
        Files.delete(root.resolve(b.key("cp3", "rootdisk")));
        VerifyReport r = BackupVerifier.verify(new DirectoryBackupLocation(root),
                new VerifyScope("b2", NS, VM, "rootdisk"), VerifyOptions.metadata());
        assertEquals(1, r.disks().size());
        assertTrue(r.ok(), "b2 does not need cp3");
        assertTrue(r.unreferenced().isEmpty(), "only told when every backup is checked");
    }
}
