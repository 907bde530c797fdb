package io.qcow2j.oadp;

import static io.qcow2j.oadp.ControllerBackup.NS;
import static io.qcow2j.oadp.ControllerBackup.VM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planning from the controller's layout (dummy images: nothing is opened while planning): the
 * downloader's checks, its tolerances (null lists, stale {@code referencedBy}, old manifests), and
 * several chains in one index.
 */
class ControllerLayoutTest {
    @TempDir
    Path dir;
    ControllerBackup b;
    Path root;
    Path target;

    /** cp1 (full) <- cp2 <- cp3, backups b1..b3, then a full-backup reset: cp4 (full) <- cp5, b5. */
    @BeforeEach
    void layout() throws IOException {
        b = new ControllerBackup();
        for (int k = 1; k <= 5; k++) {
            Map<String, Path> disks = new LinkedHashMap<>();
            disks.put("rootdisk", ControllerBackup.dummy(dir.resolve("img"), "root-" + k));
            disks.put("datadisk", ControllerBackup.dummy(dir.resolve("img"), "data-" + k));
            boolean full = k == 1 || k == 4;
            b.checkpoint("cp" + k, full ? "full" : "incremental", full ? null : "cp" + (k - 1), disks);
        }
        b.backup("b1", "cp1");
        b.backup("b2", "cp1", "cp2");
        b.backup("b3", "cp1", "cp2", "cp3");
        b.backup("b5", "cp4", "cp5");
        root = dir.resolve("bsl");
        target = dir.resolve("disk.raw");
    }

    private VmPlan volume(String backup, String volume) throws IOException {
        return VmRestorePlanner.planVolume(b.writeTo(root), backup, NS, VM, volume, target);
    }

    private static InvalidBackupLayoutException refused(Executable call, String... fragments) {
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks \"" + f + "\": " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void oneVolumeFollowsTheManifestsChainByObjectPath() throws Exception {
        VmPlan plan = volume("b3", "rootdisk");
        assertEquals(OadpLayout.Kind.CONTROLLER, plan.layout());
        DiskPlan d = plan.disks().get(0);
        assertEquals(List.of("cp1", "cp2", "cp3"), d.checkpointIds());
        assertEquals(List.of(b.key("cp1", "rootdisk"), b.key("cp2", "rootdisk"), b.key("cp3", "rootdisk")), d.keys());
        assertEquals("checkpoints/vm-ns/vm1/cp2/vmb-cp2-rootdisk.qcow2", d.keys().get(1));
        assertEquals("rootdisk", d.diskName());
        assertEquals("rootdisk-pvc", d.pvc());
        assertEquals(b.file("cp3", "rootdisk").path("size").asLong(), d.images().get(2).declaredSize());
        assertEquals(-1, d.pvcSizeBytes(), "the PVC request is not a bound on the disk in this layout");
        assertEquals(target, d.target());
    }

    @Test
    void aFullBackupResetStartsANewChainInTheSameIndex() throws Exception {
        assertEquals(List.of("cp4", "cp5"), volume("b5", "datadisk").checkpointIds());
        assertEquals(List.of("cp1", "cp2"), volume("b2", "datadisk").checkpointIds());
    }

    @Test
    void everyDiskByPvcOrVolumeName() throws Exception {
        VmPlan plan = VmRestorePlanner.plan(b.writeTo(root), "b3", NS, VM,
                Map.of("rootdisk-pvc", dir.resolve("r.raw"), "datadisk", dir.resolve("d.raw")));
        assertEquals(List.of("rootdisk-pvc", "datadisk-pvc"), plan.disks().stream().map(DiskPlan::pvc).toList());
        assertEquals(dir.resolve("d.raw"), plan.disk("datadisk").orElseThrow().target());
    }

    @Test
    void whatGoWritesAsNullOrLeavesOutIsTolerated() throws Exception {
        b.entry("cp2").putNull("pvcs").putNull("referencedBy").remove("pvcSizes");
        b.entry("cp3").withArray("referencedBy").add("").add("deleted-backup");
        b.entry("cp1").remove("referencedBy");
        b.entry("cp1").putNull("parent");
        b.entry("cp2").remove("vmbObjectPath");
        b.entry("cp3").put("superseded", true);
        assertEquals(3, volume("b3", "rootdisk").checkpointIds().size());
    }

    @Test
    void oldManifestsWithCheckpointObjectsAreRead() throws Exception {
        var chain = b.manifests.get("b2").putArray("checkpointChain");
        chain.add(b.entry("cp1").deepCopy());
        chain.add(b.entry("cp2").deepCopy());
        assertEquals(List.of("cp1", "cp2"), volume("b2", "rootdisk").checkpointIds());
    }

    @Test
    void typesCompareIgnoringCase() throws Exception {
        b.entry("cp1").put("type", "Full");
        b.entry("cp2").put("type", "INCREMENTAL");
        assertEquals(2, volume("b2", "rootdisk").checkpointIds().size());
    }

    @Test
    void onlyTheTargetVolumesEntriesAreChecked() throws Exception {
        b.file("cp2", "datadisk").put("objectPath", "checkpoints/other-ns/vm1/cp2/x.qcow2");
        assertEquals(2, volume("b2", "rootdisk").checkpointIds().size());
    }

    // ---- the downloader's checks ----

    @Test
    void emptyChainRefused() {
        b.manifests.get("b2").putArray("checkpointChain");
        refused(() -> volume("b2", "rootdisk"), "vm-ns-vm1.json", "checkpointChain", "empty");
    }

    @Test
    void duplicateIdAnywhereInTheIndexRefused() {
        b.index.withArray("checkpoints").add(b.entry("cp5").deepCopy());
        refused(() -> volume("b2", "rootdisk"), "index.json", "duplicate checkpoint cp5");
    }

    @Test
    void chainIdMissingFromTheIndexRefused() {
        b.backup("b9", "cp1", "cp9");
        refused(() -> volume("b9", "rootdisk"), "index.json", "cp9", "not in the index");
    }

    @Test
    void firstMustBeAFullWithoutParent() {
        b.entry("cp1").put("parent", "cp0");
        refused(() -> volume("b2", "rootdisk"), "checkpoint cp1", "has a parent cp0");
        b.backup("b9", "cp2", "cp3");
        refused(() -> volume("b9", "rootdisk"), "checkpoint cp2", "\"incremental\"", "must be \"full\"");
    }

    @Test
    void laterMustBeIncrementalOfThePreviousEntry() {
        b.backup("b9", "cp1", "cp4");
        refused(() -> volume("b9", "rootdisk"), "checkpoint cp4", "\"full\"", "only the first");
        b.backup("b8", "cp1", "cp3");
        refused(() -> volume("b8", "rootdisk"), "checkpoint cp3", "parent is cp2", "cp1");
        b.entry("cp2").remove("parent");
        refused(() -> volume("b2", "rootdisk"), "checkpoint cp2", "no parent");
    }

    @Test
    void exactlyOneFilePerCheckpointForTheVolume() {
        refused(() -> volume("b2", "swapdisk"), "checkpoint cp1", "no file for target volume swapdisk",
                "rootdisk, datadisk");
        b.file("cp2", "datadisk").put("diskName", "rootdisk");
        refused(() -> volume("b2", "rootdisk"), "checkpoint cp2", "multiple files for target volume rootdisk");
    }

    @Test
    void objectPathOutsideThisVmRefused() {
        b.file("cp2", "rootdisk").put("objectPath", "checkpoints/other-ns/vm1/cp2/vmb-cp2-rootdisk.qcow2");
        InvalidBackupLayoutException e = refused(() -> volume("b2", "rootdisk"), "index.json", "checkpoint cp2",
                "checkpoints/other-ns/vm1/cp2", "want \"checkpoints/vm-ns/vm1/cp2/vmb-cp2-rootdisk.qcow2\"",
                "checkpoint prefix");
        assertEquals("checkpoint cp2", e.structure());
    }

    @Test
    void filenameMustBeAPlainName() {
        b.file("cp2", "rootdisk").put("filename", "../cp1/vmb-cp1-rootdisk.qcow2");
        refused(() -> volume("b2", "rootdisk"), "checkpoint cp2", "invalid checkpoint filename");
    }

    @Test
    void negativeOrMistypedSizeRefused() {
        b.file("cp2", "rootdisk").put("size", -1);
        refused(() -> volume("b2", "rootdisk"), "checkpoints[1].files[0].size", "negative", "cp2");
        b.file("cp2", "rootdisk").put("size", "12");
        refused(() -> volume("b2", "rootdisk"), "checkpoints[1].files[0].size", "integer");
    }

    @Test
    void manifestOfAnotherVmRefused() {
        b.manifests.get("b2").put("name", "vm2");
        refused(() -> volume("b2", "rootdisk"), "vm-ns-vm1.json", "vm-ns/vm2");
    }

    @Test
    void missingManifestNamesBothLayouts() throws Exception {
        b.writeTo(root);
        InvalidBackupLayoutException e = refused(
                () -> VmRestorePlanner.planVolume(new DirectoryBackupLocation(root), "b7", NS, VM, "rootdisk", target),
                "manifests/b7/vm-ns-vm1.json", "manifests/b7/vm1.json", "not found");
        assertEquals("manifest", e.structure());
    }

    @Test
    void restoreVmNeedsEveryDiskNamed() {
        b.file("cp2", "datadisk").remove("diskName");
        refused(() -> VmRestorePlanner.plan(b.writeTo(root), "b2", NS, VM, Map.of()), "checkpoint cp2",
                "names no disk");
    }

    @Test
    void restoreVmRefusesAVolumeTheFullDoesNotHave() {
        b.file("cp2", "datadisk").put("diskName", "newdisk");
        refused(() -> VmRestorePlanner.plan(b.writeTo(root), "b2", NS, VM, Map.of()), "checkpoint cp2",
                "newdisk", "not in the full checkpoint cp1");
    }

    @Test
    void targetInsideTheLocationRefused() {
        target = root.resolve("restored.raw");
        assertThrows(InvalidTargetException.class, () -> volume("b2", "rootdisk"));
    }

    @Test
    void designDocumentIndexUnderAControllerManifestHasNoVolumes() throws Exception {
        // the manifest's name picks the rules: plain file names carry no diskName to select by
        b.entry("cp1").putArray("files").add("vmb-cp1-rootdisk.qcow2");
        InvalidBackupLayoutException e = refused(() -> volume("b1", "rootdisk"), "no file for target volume");
        assertNull(e.getCause());
    }
}
