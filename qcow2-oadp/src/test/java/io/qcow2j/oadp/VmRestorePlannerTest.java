package io.qcow2j.oadp;

import static io.qcow2j.oadp.VmLayoutFixture.NS;
import static io.qcow2j.oadp.VmLayoutFixture.PVC0;
import static io.qcow2j.oadp.VmLayoutFixture.PVC1;
import static io.qcow2j.oadp.VmLayoutFixture.VM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.SourceAccessException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmRestorePlannerTest {

    @TempDir
    Path dir;

    VmLayoutFixture fx;

    @BeforeEach
    void setUp() {
        fx = new VmLayoutFixture(dir);
    }

    /** Runs the planner for {@code backup} and asserts it is refused with every fragment in the message. */
    private InvalidBackupLayoutException refused(String backup, String... fragments) {
        return refused(() -> fx.plan(backup), fragments);
    }

    private static InvalidBackupLayoutException refused(Executable call, String... fragments) {
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks \"" + f + "\": " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "message must be one line: " + e.getMessage());
        return e;
    }

    /** A target problem found while planning: an invalid target, not a layout error (exit 5). */
    private void refusedTarget(String backup, String... fragments) {
        InvalidTargetException e = assertThrows(InvalidTargetException.class, () -> fx.plan(backup));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks \"" + f + "\": " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "message must be one line: " + e.getMessage());
    }

    // ---- the plan ----

    @Test
    void bk3PairsFilesByPvcOldestFirstAndIgnoresLaterCheckpoint() throws Exception {
        VmPlan plan = fx.plan("bk-3");

        assertEquals(NS, plan.namespace());
        assertEquals(VM, plan.vm());
        assertEquals("bk-3", plan.backup());
        assertEquals(List.of(PVC0, PVC1), plan.disks().stream().map(DiskPlan::pvc).toList());
        assertEquals(List.of("cp-001", "cp-002", "cp-003"), plan.checkpointIds());

        DiskPlan d0 = plan.disk(PVC0).orElseThrow();
        // cp-002 lists disk1 first: pairing by position instead of by pvcs[i] would swap the disks
        assertEquals(List.of(fx.image(1, 0), fx.image(2, 0), fx.image(3, 0)), fx.paths(d0));
        assertEquals(List.of("cp-001", "cp-002", "cp-003"), d0.checkpointIds());
        assertEquals(10L << 20, d0.pvcSizeBytes());
        assertEquals(fx.targets.get(PVC0), d0.target());

        DiskPlan d1 = plan.disk(PVC1).orElseThrow();
        assertEquals(List.of(fx.image(1, 1), fx.image(2, 1), fx.image(3, 1)), fx.paths(d1));
        assertEquals(20L << 20, d1.pvcSizeBytes());
        assertEquals(fx.targets.get(PVC1), d1.target());
    }

    @Test
    void bk4HasFourImagesPerDisk() throws Exception {
        VmPlan plan = fx.plan("bk-4");
        assertEquals(List.of("cp-001", "cp-002", "cp-003", "cp-004"), plan.checkpointIds());
        assertEquals(List.of(fx.image(1, 1), fx.image(2, 1), fx.image(3, 1), fx.image(4, 1)),
                fx.paths(plan.disk(PVC1).orElseThrow()));
    }

    @Test
    void pairingFollowsPvcsNotFileNames() throws Exception {
        // same file names as before, only the PVC order says which is which
        fx.set("cp-002", "pvcs", PVC0, PVC1);
        VmPlan plan = fx.plan("bk-3");
        assertEquals(fx.image(2, 1), fx.paths(plan.disk(PVC0).orElseThrow()).get(1));
        assertEquals(fx.image(2, 0), fx.paths(plan.disk(PVC1).orElseThrow()).get(1));
    }

    @Test
    void sizeComesFromNewestCheckpointOfTheChain() throws Exception {
        fx.set("cp-003", "pvcSizes", "10Mi", "25Mi");
        fx.set("cp-004", "pvcSizes", "1.5Gi", "30Mi");
        assertEquals(25L << 20, fx.plan("bk-3").disk(PVC1).orElseThrow().pvcSizeBytes());
        assertEquals(30L << 20, fx.plan("bk-4").disk(PVC1).orElseThrow().pvcSizeBytes());
        assertEquals(3L << 29, fx.plan("bk-4").disk(PVC0).orElseThrow().pvcSizeBytes());
    }

    @Test
    void laterCheckpointIsIgnoredEvenWhenBroken() throws Exception {
        fx.checkpoint("cp-004").put("type", "bogus");
        fx.checkpoint("cp-004").put("parent", "nowhere");
        fx.set("cp-004", "pvcSizes", "garbage");
        Files.delete(fx.image(4, 0));
        assertEquals(3, fx.plan("bk-3").checkpointIds().size());
    }

    @Test
    void singleFullCheckpointIsAChain() throws Exception {
        fx.manifest("bk-1", "cp-001");
        VmPlan plan = fx.plan("bk-1");
        assertEquals(List.of(fx.image(1, 0)), fx.paths(plan.disk(PVC0).orElseThrow()));
    }

    @Test
    void fullCheckpointParentIsIgnored() throws Exception {
        fx.checkpoint("cp-001").put("parent", "cp-000");
        fx.plan("bk-3");
    }

    @Test
    void planIsImmutable() throws Exception {
        VmPlan plan = fx.plan("bk-3");
        assertThrows(UnsupportedOperationException.class, () -> plan.disks().clear());
        assertThrows(UnsupportedOperationException.class, () -> plan.disks().get(0).images().clear());
        assertThrows(UnsupportedOperationException.class, () -> plan.disks().get(0).checkpointIds().clear());
    }

    // ---- identity ----

    @Test
    void manifestNamespaceMustMatch() {
        fx.manifests.get("bk-3").put("namespace", "other-ns");
        refused("bk-3", "bk-3", "my-vm.json", "other-ns/my-vm", "ns-acc/my-vm");
    }

    @Test
    void manifestNameMustMatch() {
        fx.manifests.get("bk-3").put("name", "other-vm");
        refused("bk-3", "my-vm.json", "ns-acc/other-vm");
    }

    @Test
    void indexNamespaceMustMatch() {
        fx.index.put("namespace", "other-ns");
        refused("bk-3", "index.json", "other-ns/my-vm");
    }

    @Test
    void indexVmNameMustMatch() {
        fx.index.put("vmName", "other-vm");
        refused("bk-3", "index.json", "ns-acc/other-vm");
    }

    // ---- the chain ----

    @Test
    void emptyChainRefused() {
        fx.manifest("bk-0");
        refused("bk-0", "manifests/bk-0/my-vm.json", "checkpointChain", "no checkpoints");
    }

    @Test
    void checkpointNotInIndexRefused() {
        fx.manifest("bk-3", "cp-001", "cp-002", "cp-003", "cp-005");
        refused("bk-3", "index.json", "cp-005", "not in the index", "bk-3");
    }

    @Test
    void checkpointTwiceInChainRefused() {
        fx.manifest("bk-3", "cp-001", "cp-002", "cp-002");
        refused("bk-3", "checkpointChain", "cp-002", "twice");
    }

    @Test
    void checkpointTwiceInIndexRefused() {
        fx.index.withArray("checkpoints").add(fx.checkpoint("cp-002").deepCopy());
        refused("bk-3", "index.json", "cp-002", "2 times");
    }

    @Test
    void duplicateInIndexOutsideTheChainIgnored() throws Exception {
        fx.index.withArray("checkpoints").add(fx.checkpoint("cp-004").deepCopy());
        fx.plan("bk-3");
    }

    @Test
    void firstMustBeFull() {
        fx.checkpoint("cp-001").put("type", "incremental");
        refused("bk-3", "checkpoint cp-001", "\"incremental\"", "must be \"full\"");
    }

    @Test
    void unknownTypeRefused() {
        fx.checkpoint("cp-002").put("type", "differential");
        refused("bk-3", "checkpoint cp-002", "\"differential\"");
    }

    @Test
    void unknownTypeOfFirstRefused() {
        fx.checkpoint("cp-001").put("type", "Full");
        refused("bk-3", "checkpoint cp-001", "\"Full\"");
    }

    @Test
    void fullInTheMiddleRefused() {
        fx.checkpoint("cp-003").put("type", "full");
        refused("bk-3", "checkpoint cp-003", "\"full\"", "cp-001");
    }

    @Test
    void parentMismatchRefused() {
        fx.checkpoint("cp-003").put("parent", "cp-001");
        refused("bk-3", "index.json", "checkpoint cp-003", "parent is cp-001", "cp-002");
    }

    @Test
    void incrementalWithoutParentRefused() {
        fx.checkpoint("cp-002").remove("parent");
        refused("bk-3", "checkpoint cp-002", "no parent", "cp-001");
    }

    @Test
    void chainOrderMustFollowParents() {
        fx.manifest("bk-3", "cp-001", "cp-003", "cp-002");
        refused("bk-3", "checkpoint cp-003", "parent is cp-002", "cp-001");
    }

    @Test
    void chainIdEscapingTheVmDirectoryRefused() {
        fx.manifest("bk-3", "../ns-acc/my-vm/cp-001");
        refused("bk-3", "checkpointChain", "../ns-acc/my-vm/cp-001");
    }

    // ---- the shape of each checkpoint ----

    @Test
    void filesLongerThanPvcsRefused() {
        fx.set("cp-002", "files", "vmb-002-disk1.qcow2", "vmb-002-disk0.qcow2", "extra.qcow2");
        refused("bk-3", "checkpoint cp-002", "files has 3", "pvcs 2", "pvcSizes 2");
    }

    @Test
    void pvcSizesShorterRefused() {
        fx.set("cp-003", "pvcSizes", "10Mi");
        refused("bk-3", "checkpoint cp-003", "pvcSizes 1");
    }

    @Test
    void pvcsShorterRefused() {
        fx.set("cp-001", "pvcs", PVC0);
        refused("bk-3", "checkpoint cp-001", "pvcs 1");
    }

    @Test
    void noPvcsRefused() {
        fx.set("cp-001", "pvcs");
        fx.set("cp-001", "files");
        fx.set("cp-001", "pvcSizes");
        refused("bk-3", "checkpoint cp-001", "no PVCs");
    }

    @Test
    void pvcTwiceInOneCheckpointRefused() {
        fx.set("cp-002", "pvcs", PVC1, PVC1);
        refused("bk-3", "checkpoint cp-002", PVC1, "twice");
    }

    @Test
    void fileTwiceInOneCheckpointRefused() {
        fx.set("cp-003", "files", "vmb-003-disk0.qcow2", "vmb-003-disk0.qcow2");
        refused("bk-3", "checkpoint cp-003", "vmb-003-disk0.qcow2", PVC0, PVC1);
    }

    @Test
    void pvcMissingFromLaterCheckpointRefused() {
        fx.set("cp-003", "pvcs", PVC0);
        fx.set("cp-003", "files", "vmb-003-disk0.qcow2");
        fx.set("cp-003", "pvcSizes", "10Mi");
        refused("bk-3", "checkpoint cp-003", PVC1, "missing", "cp-001");
    }

    @Test
    void pvcAddedByLaterCheckpointRefused() {
        fx.set("cp-002", "pvcs", PVC1, PVC0, "my-vm-pvc-2");
        fx.set("cp-002", "files", "vmb-002-disk1.qcow2", "vmb-002-disk0.qcow2", "vmb-002-disk2.qcow2");
        fx.set("cp-002", "pvcSizes", "20Mi", "10Mi", "5Gi");
        refused("bk-3", "checkpoint cp-002", "my-vm-pvc-2", "not in the full checkpoint cp-001");
    }

    @Test
    void pvcRenamedInLaterCheckpointRefused() {
        fx.set("cp-003", "pvcs", PVC0, "my-vm-pvc-x");
        refused("bk-3", "checkpoint cp-003", PVC1, "missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../cp-001/vmb-001-disk0.qcow2", "sub/vmb-002.qcow2", "..", ".", "", "/etc/passwd",
            "a\\b"})
    void fileNameEscapingCheckpointDirectoryRefused(String name) {
        fx.set("cp-002", "files", "vmb-002-disk1.qcow2", name);
        refused("bk-3", "checkpoint cp-002", "file \"" + name + "\"", PVC0,
                "not a plain file name");
    }

    @Test
    void fileNameWithDotsInsideIsFine() throws Exception {
        fx.set("cp-002", "files", "vmb-002-disk1.qcow2", "vmb..002.qcow2");
        VmLayoutFixture.write(fx.image("cp-002", "vmb..002.qcow2"), "dummy");
        assertEquals(fx.image("cp-002", "vmb..002.qcow2"), fx.paths(fx.plan("bk-3").disk(PVC0).orElseThrow()).get(1));
    }

    @Test
    void missingImageRefusedWhenPrepared() throws IOException {
        Files.delete(fx.image(3, 0));
        VmPlan plan = fx.plan("bk-3"); // the metadata alone is fine
        InvalidBackupLayoutException e = refused(() -> prepare(plan),
                "vmb-003-disk0.qcow2", "checkpoint cp-003", PVC0, "not found");
        assertEquals(fx.image(3, 0).toString(), e.resource());
    }

    @Test
    void imageThatIsADirectoryRefusedWhenPrepared() throws IOException {
        Files.delete(fx.image(2, 0));
        Files.createDirectory(fx.image(2, 0));
        VmPlan plan = fx.plan("bk-3");
        SourceAccessException e = assertThrows(SourceAccessException.class, () -> prepare(plan));
        for (String f : new String[] {"vmb-002-disk0.qcow2", "checkpoint cp-002", PVC0, "directory"}) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
    }

    @Test
    void missingCheckpointDirectoryRefusedWhenPrepared() throws IOException {
        Files.delete(fx.image(3, 0));
        Files.delete(fx.image(3, 1));
        Files.delete(fx.image(3, 0).getParent());
        VmPlan plan = fx.plan("bk-3");
        refused(() -> prepare(plan), "cp-003", "vmb-003-disk", "not found");
    }

    private static void prepare(VmPlan plan) throws IOException {
        VmRestore.prepare(plan, RestoreOptions.builder().build()).close();
    }

    @Test
    void invalidPvcSizeRefused() {
        fx.set("cp-002", "pvcSizes", "20Mi", "ten megs");
        refused("bk-3", "index.json", "checkpoint cp-002", PVC0, "ten megs");
    }

    @Test
    void negativePvcSizeRefused() {
        fx.set("cp-001", "pvcSizes", "-10Mi", "20Mi");
        refused("bk-3", "checkpoint cp-001", PVC0, "-10Mi");
    }

    // ---- targets ----

    @Test
    void pvcWithoutTargetRefused() {
        fx.targets.remove(PVC1);
        refused("bk-3", PVC1, "no target");
    }

    @Test
    void targetForUnknownPvcRefused() {
        fx.targets.put("my-vm-pvc-9", dir.resolve("t9.raw"));
        refused("bk-3", "my-vm-pvc-9", "no such PVC", PVC0, PVC1);
    }

    @Test
    void sameTargetTwiceRefused() {
        fx.targets.put(PVC1, fx.targetDir.resolve("sub/../t0.raw"));
        refusedTarget("bk-3", "t0.raw", PVC0, PVC1);
    }

    @Test
    void targetAliasedBySymlinkRefused() throws IOException {
        Path t0 = fx.targets.get(PVC0);
        VmLayoutFixture.write(t0, "");
        Path link = Files.createSymbolicLink(dir.resolve("link.raw"), t0);
        fx.targets.put(PVC1, link);
        refusedTarget("bk-3", "link.raw", PVC0, PVC1);
    }

    @Test
    void targetThatIsAnImageRefused() {
        fx.targets.put(PVC1, fx.image(2, 0));
        refusedTarget("bk-3", "vmb-002-disk0.qcow2", PVC1, PVC0, "cp-002");
    }

    // ---- loading ----

    @Test
    void missingManifestNamesPath() {
        fx.write();
        refused(() -> VmRestorePlanner.plan(fx.location, "bk-9", NS, VM, fx.targets),
                fx.manifestFile("bk-9").toString(), "not found", "bk-9");
    }

    @Test
    void missingIndexNamesPath() throws IOException {
        fx.write();
        Files.delete(fx.indexFile());
        refused(() -> VmRestorePlanner.plan(fx.location, "bk-3", NS, VM, fx.targets),
                fx.indexFile().toString(), "not found");
    }

    @Test
    void unsafeRequestNamesAreUsageErrors() {
        fx.write();
        assertThrows(IllegalArgumentException.class,
                () -> VmRestorePlanner.plan(fx.location, "../bk-3", NS, VM, fx.targets));
        assertThrows(IllegalArgumentException.class,
                () -> VmRestorePlanner.plan(fx.location, "bk-3", "..", VM, fx.targets));
        assertThrows(IllegalArgumentException.class,
                () -> VmRestorePlanner.plan(fx.location, "bk-3", NS, "a/b", fx.targets));
    }

    @Test
    void nullTargetsAreProgrammingErrors() {
        fx.write();
        assertThrows(NullPointerException.class, () -> VmRestorePlanner.plan(fx.location, "bk-3", NS, VM, null));
        Map<String, Path> withNull = new java.util.HashMap<>(fx.targets);
        withNull.put(PVC0, null);
        assertThrows(NullPointerException.class, () -> VmRestorePlanner.plan(fx.location, "bk-3", NS, VM, withNull));
    }
}
