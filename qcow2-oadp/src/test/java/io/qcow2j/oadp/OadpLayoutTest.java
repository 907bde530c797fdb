package io.qcow2j.oadp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OadpLayoutTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) {
        Path p = dir.resolve(name);
        VmLayoutFixture.write(p, text);
        return p;
    }

    private static void assertMessage(Exception e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks \"" + f + "\": " + e.getMessage());
        }
        assertTrue(!e.getMessage().contains("\n"), () -> "message must be one line: " + e.getMessage());
    }

    @Test
    void keysFollowTheDatamoverLayouts() {
        assertEquals("manifests/bk-3/my-vm.json", OadpLayout.manifestKey("bk-3", "my-vm"));
        assertEquals("manifests/bk-3/ns-acc-my-vm.json", OadpLayout.controllerManifestKey("bk-3", "ns-acc", "my-vm"));
        assertEquals("checkpoints/ns-acc/my-vm/index.json", OadpLayout.indexKey("ns-acc", "my-vm"));
        assertEquals("checkpoints/ns-acc/my-vm/cp-002/vmb-002-disk1.qcow2",
                OadpLayout.checkpointKey("ns-acc", "my-vm", "cp-002", "vmb-002-disk1.qcow2"));
        DirectoryBackupLocation l = new DirectoryBackupLocation(Path.of("/b"));
        assertEquals(Path.of("/b/checkpoints/ns-acc/my-vm/index.json"), l.resolve(OadpLayout.indexKey("ns-acc", "my-vm")));
        assertEquals(Path.of("/b"), l.root());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "../x", "a\\b", "nul\0byte"})
    void pathComponentsMustBePlain(String bad) {
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.manifestKey(bad, "vm"));
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.controllerManifestKey("b", bad, "vm"));
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.indexKey("ns", bad));
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.checkpointKey("ns", "vm", bad, "f"));
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.checkpointKey("ns", "vm", "cp", bad));
        assertThrows(IllegalArgumentException.class, () -> OadpLayout.checkpointKey(null, "vm", "cp", "f"));
        if (!bad.equals("a/b")) { // a key may have several segments, each plain
            assertThrows(IllegalArgumentException.class, () -> new DirectoryBackupLocation(dir).resolve("a/" + bad));
        }
    }

    @Test
    void loadReadsBothFiles() throws Exception {
        VmLayoutFixture fx = new VmLayoutFixture(dir);
        fx.write();
        BackupMetadata md = OadpLayout.load(fx.location, "bk-3", "ns-acc", "my-vm");
        assertEquals("bk-3", md.backup());
        assertEquals(OadpLayout.Kind.DESIGN_DOCUMENT, md.layout());
        assertEquals(fx.manifestFile("bk-3").toString(), md.manifestFile());
        assertEquals(fx.indexFile().toString(), md.indexFile());
        assertEquals(new VmManifest("ns-acc", "my-vm", List.of("cp-001", "cp-002", "cp-003")), md.manifest());
        assertEquals(4, md.index().checkpoints().size());

        Checkpoint cp2 = md.index().findAll("cp-002").get(0);
        assertEquals(new Checkpoint("cp-002", "incremental", "cp-001", "2025-01-02T10:00:00Z", "vmb-002",
                List.of(CheckpointFile.named("vmb-002-disk1.qcow2"), CheckpointFile.named("vmb-002-disk0.qcow2")),
                List.of("my-vm-pvc-1", "my-vm-pvc-0"),
                List.of("20Mi", "10Mi"), List.of("bk-3", "bk-4")), cp2);
        assertTrue(cp2.isIncremental());
        Checkpoint cp1 = md.index().findAll("cp-001").get(0);
        assertTrue(cp1.isFull());
        assertNull(cp1.parent());
    }

    @Test
    void loadNamesMissingManifest() {
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class,
                () -> OadpLayout.load(new DirectoryBackupLocation(dir), "bk-3", "ns-acc", "my-vm"));
        assertMessage(e, dir.resolve("manifests/bk-3/my-vm.json").toString(), "not found", "bk-3", "my-vm");
    }

    @Test
    void loadNamesMissingIndex() {
        write("manifests/bk-3/my-vm.json", "{\"namespace\":\"ns-acc\",\"name\":\"my-vm\",\"checkpointChain\":[]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class,
                () -> OadpLayout.load(new DirectoryBackupLocation(dir), "bk-3", "ns-acc", "my-vm"));
        assertMessage(e, dir.resolve("checkpoints/ns-acc/my-vm/index.json").toString(), "not found");
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        Path p = write("m.json", "{\"apiVersion\":2,\"namespace\":\"ns\",\"name\":\"vm\",\"extra\":{\"a\":[1]},"
                + "\"checkpointChain\":[\"cp-001\"]}");
        assertEquals(new VmManifest("ns", "vm", List.of("cp-001")), VmManifest.read(p));

        Path ix = write("index.json", "{\"vmName\":\"vm\",\"namespace\":\"ns\",\"new\":true,\"checkpoints\":["
                + "{\"id\":\"cp-001\",\"type\":\"full\",\"files\":[\"f\"],\"pvcs\":[\"p\"],\"pvcSizes\":[\"1Gi\"],"
                + "\"compression\":\"zstd\"}]}");
        Checkpoint c = CheckpointIndex.read(ix).checkpoints().get(0);
        assertNull(c.timestamp());
        assertNull(c.vmBackup());
        assertEquals(List.of(), c.referencedBy());
    }

    @Test
    void malformedJsonNamesFileLineAndColumn() {
        Path p = write("m.json", "{\n  \"namespace\": \"ns\",\n  \"name\" \"vm\"\n}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(p));
        assertMessage(e, p.toString(), "manifest", "malformed JSON", "line 3", "column");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[]", "\"text\"", "null", "{\"namespace\":\"ns\"} {}", "{\"a\":1,\"a\":2}",
            "{", "\u0000\u0001binary"})
    void notAManifestRefused(String text) {
        Path p = write("m.json", text);
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(p));
        assertMessage(e, p.toString());
    }

    @Test
    void missingRequiredFieldNamesFieldAndFile() {
        Path p = write("m.json", "{\"namespace\":\"ns\",\"checkpointChain\":[]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(p));
        assertMessage(e, p.toString(), "\"name\"", "missing");
    }

    @Test
    void nullRequiredFieldIsMissing() {
        Path p = write("m.json", "{\"namespace\":\"ns\",\"name\":null,\"checkpointChain\":[]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(p));
        assertMessage(e, p.toString(), "\"name\"", "missing");
    }

    @Test
    void wrongTypeNamesField() {
        Path p = write("m.json", "{\"namespace\":\"ns\",\"name\":\"vm\",\"checkpointChain\":\"cp-001\"}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(p));
        assertMessage(e, p.toString(), "\"checkpointChain\"", "array");

        Path q = write("n.json", "{\"namespace\":\"ns\",\"name\":\"vm\",\"checkpointChain\":[\"cp-001\", 2]}");
        e = assertThrows(InvalidBackupLayoutException.class, () -> VmManifest.read(q));
        assertMessage(e, q.toString(), "checkpointChain[1]", "string");
    }

    @Test
    void missingCheckpointFieldNamesCheckpointAndField() {
        Path p = write("index.json", "{\"vmName\":\"vm\",\"namespace\":\"ns\",\"checkpoints\":["
                + "{\"id\":\"cp-001\",\"type\":\"full\",\"files\":[\"f\"],\"pvcs\":[\"p\"],\"pvcSizes\":[\"1Gi\"]},"
                + "{\"id\":\"cp-002\",\"type\":\"incremental\",\"parent\":\"cp-001\",\"pvcs\":[\"p\"],\"pvcSizes\":[\"1Gi\"]}]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> CheckpointIndex.read(p));
        assertMessage(e, p.toString(), "index", "checkpoints[1].files", "cp-002");
    }

    @Test
    void mistypedOptionalFieldRefused() {
        Path p = write("index.json", "{\"vmName\":\"vm\",\"namespace\":\"ns\",\"checkpoints\":["
                + "{\"id\":\"cp-001\",\"type\":\"full\",\"parent\":7,\"files\":[],\"pvcs\":[],\"pvcSizes\":[]}]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> CheckpointIndex.read(p));
        assertMessage(e, "checkpoints[0].parent", "string", "cp-001");
    }

    @Test
    void checkpointThatIsNotAnObjectRefused() {
        Path p = write("index.json", "{\"vmName\":\"vm\",\"namespace\":\"ns\",\"checkpoints\":[\"cp-001\"]}");
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> CheckpointIndex.read(p));
        assertMessage(e, p.toString(), "checkpoints[0]", "object");
    }

    @Test
    void directoryInsteadOfFileRefused() throws IOException {
        Path d = Files.createDirectories(dir.resolve("index.json"));
        InvalidBackupLayoutException e = assertThrows(InvalidBackupLayoutException.class, () -> CheckpointIndex.read(d));
        assertMessage(e, d.toString(), "directory");
    }

    @Test
    void recordsCopyTheirLists() {
        List<String> chain = new java.util.ArrayList<>(List.of("cp-001"));
        VmManifest m = new VmManifest("ns", "vm", chain);
        chain.add("cp-002");
        assertEquals(List.of("cp-001"), m.checkpointChain());
        assertThrows(UnsupportedOperationException.class, () -> m.checkpointChain().add("x"));
        Checkpoint c = new Checkpoint("a", "full", null, null, null, List.of(), List.of(), List.of(), List.of());
        assertThrows(UnsupportedOperationException.class, () -> c.files().add(CheckpointFile.named("x")));
        CheckpointIndex ix = new CheckpointIndex("vm", "ns", List.of(c));
        assertThrows(UnsupportedOperationException.class, () -> ix.checkpoints().clear());
    }
}
