package io.qcow2j.cli.vm;

import static io.qcow2j.cli.vm.VmBackupImages.DISK1_SIZE;
import static io.qcow2j.oadp.VmLayoutFixture.NS;
import static io.qcow2j.oadp.VmLayoutFixture.PVC0;
import static io.qcow2j.oadp.VmLayoutFixture.PVC1;
import static io.qcow2j.oadp.VmLayoutFixture.VM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.cli.Main;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test per rule {@code restore-vm} checks before it touches a target, through the CLI. Every
 * case starts from the valid layout ({@link #theUnbrokenLayoutRestores} proves it restores), breaks
 * one thing, and checks the error contract (exit 3, or 2 for a malformed command line; one
 * {@code error:} line naming the checkpoint, PVC and file involved; no stack trace) and that neither
 * target was touched: PVC0's target does not
 * exist and must not be created, PVC1's holds garbage that must keep its exact bytes. Where the
 * broken thing belongs to PVC1, a restore that validated disk by disk would already have written
 * PVC0's target.
 */
@RequiresQemu
class RestoreVmValidationTest extends RestoreVmTestBase {
    private static final int INVALID = ExitCode.INVALID;
    /** PVC1's pre-existing target: longer than the disk, no zero pages, so any write or truncation shows. */
    private static final byte[] T1_GARBAGE = new byte[(int) DISK1_SIZE + 4096];

    static {
        new Random(21).nextBytes(T1_GARBAGE);
    }

    /** PVC name to target, in the order the --target options are given. */
    final Map<String, String> targets = new LinkedHashMap<>();
    /** A loop device this test attached, detached after it. */
    String loopDevice;

    @BeforeEach
    void garbageInT1() throws IOException {
        Files.write(t1, T1_GARBAGE);
        targets.put(PVC1, t1.toString());
        targets.put(PVC0, t0.toString());
    }

    @AfterEach
    void detachLoop() throws Exception {
        if (loopDevice != null) {
            exec("losetup", "-d", loopDevice);
        }
    }

    private Cli restoreVm(String backup, String... extra) {
        return Cli.run(restoreVmArgs(backup, extra));
    }

    private List<String> restoreVmArgs(String backup, String... extra) {
        fx.write();
        List<String> args = new ArrayList<>(List.of("restore-vm", "--root", fx.root.toString(), "--backup", backup,
                "--namespace", NS, "--vm", VM));
        targets.forEach((pvc, path) -> args.addAll(List.of("--target", pvc + "=" + path)));
        args.addAll(List.of(extra));
        return args;
    }

    /** Runs bk-3 and asserts the error contract and untouched targets. */
    private String refused(String... fragments) throws IOException {
        Cli r = restoreVm("bk-3");
        String line = r.assertError(INVALID, fragments);
        assertTargetsUntouched();
        return line;
    }

    private void assertTargetsUntouched() throws IOException {
        assertFalse(Files.exists(t0), "rejected restore created " + t0);
        assertArrayEquals(T1_GARBAGE, Files.readAllBytes(t1), "rejected restore modified " + t1);
        try (Stream<Path> s = Files.list(fx.targetDir)) {
            assertEquals(List.of(t1), s.toList(), "rejected restore left files next to the targets");
        }
    }

    @Test
    void theUnbrokenLayoutRestores() throws IOException {
        restoreVm("bk-3").assertOk();
        assertEquals(-1, Files.mismatch(images.oracle(3, 0), t0));
        assertEquals(-1, Files.mismatch(images.oracle(3, 1), t1));
    }

    // ---- the manifest against the request ----

    @Test
    void manifestNamespaceMismatch() throws IOException {
        fx.manifests.get("bk-3").put("namespace", "other-ns");
        refused(fx.manifestFile("bk-3").toString(), "other-ns/" + VM, NS + "/" + VM);
    }

    @Test
    void manifestNameMismatch() throws IOException {
        fx.manifests.get("bk-3").put("name", "other-vm");
        refused(fx.manifestFile("bk-3").toString(), NS + "/other-vm", NS + "/" + VM);
    }

    // ---- the chain ----

    @Test
    void chainIdMissingFromIndex() throws IOException {
        fx.manifest("bk-3", "cp-001", "cp-002", "cp-003", "cp-005");
        refused(fx.indexFile().toString(), "cp-005", "not in the index");
    }

    @Test
    void firstCheckpointNotFull() throws IOException {
        fx.checkpoint("cp-001").put("type", "incremental");
        refused(fx.indexFile().toString(), "checkpoint cp-001", "\"incremental\"", "\"full\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"full", "differential"})
    void laterCheckpointNotIncremental(String type) throws IOException {
        fx.checkpoint("cp-003").put("type", type);
        refused(fx.indexFile().toString(), "checkpoint cp-003", "\"" + type + "\"");
    }

    @Test
    void parentMismatch() throws IOException {
        fx.checkpoint("cp-003").put("parent", "cp-001");
        refused(fx.indexFile().toString(), "checkpoint cp-003", "parent is cp-001", "cp-002");
    }

    @Test
    void checkpointTwiceInChain() throws IOException {
        fx.manifest("bk-3", "cp-001", "cp-002", "cp-002", "cp-003");
        refused(fx.manifestFile("bk-3").toString(), "cp-002", "twice");
    }

    @Test
    void pvcMissingFromOneCheckpoint() throws IOException {
        fx.set("cp-003", "pvcs", PVC0);
        fx.set("cp-003", "files", "vmb-003-disk0.qcow2");
        fx.set("cp-003", "pvcSizes", "10Mi");
        refused(fx.indexFile().toString(), "checkpoint cp-003", PVC1, "missing");
    }

    // ---- the files ----

    @Test
    void fileMissing() throws IOException {
        Files.delete(fx.image(3, 1));
        refused(fx.image(3, 1).toString(), "cp-003", PVC1, "not found");
    }

    @Test
    void fileIsNotQcow2() throws IOException {
        // cp-002 lists PVC1's file first
        byte[] junk = new byte[1 << 20];
        new Random(3).nextBytes(junk);
        Files.write(fx.image(2, 1), junk);
        refused(fx.image(2, 1).toString(), "checkpoint cp-002", PVC1);
    }

    @Test
    void fileWithL1EntryPastEndOfFile() throws IOException {
        Path img = fx.image(3, 1);
        long size = Files.size(img);
        long past = ((size >> 16) + 16) << 16; // cluster aligned, well past EOF
        try (ImagePoker p = ImagePoker.open(img)) {
            p.setL1Entry(0, Layout.COPIED | past);
        }
        String line = refused(img.toString(), "checkpoint cp-003", PVC1, Long.toString(past));
        assertTrue(line.contains("L2") || line.contains("L1"), () -> "names the table: " + line);
    }

    @Test
    void zstdImageWithoutItsNativeLibrary() throws Exception {
        // a restore pod whose temp directory is read-only: zstd-jni cannot unpack its library, and
        // PVC1's newest image is zstd-compressed; PVC0, restored first, must not be written either
        Path img = fx.image(3, 1);
        Files.copy(TestData.image("compressed-zstd"), img, StandardCopyOption.REPLACE_EXISTING);
        Path missing = dir.resolve("missing");
        Cli r = Cli.runInJvm(List.of("-Djava.io.tmpdir=" + missing, "-Djava.library.path=" + missing),
                restoreVmArgs("bk-3"));
        r.assertError(INVALID, img.toString(), "checkpoint cp-003", PVC1, "zstd", "ZstdNativePath");
        assertTargetsUntouched();
    }

    // ---- sizes and targets ----

    @Test
    void newestVirtualSizeLargerThanPvcSize() throws IOException {
        fx.set("cp-003", "pvcSizes", "10Mi", "19Mi");
        refused(fx.image(3, 1).toString(), "checkpoint cp-003", PVC1, Long.toString(DISK1_SIZE),
                Long.toString(19L << 20));
    }

    @Test
    void blockDeviceSmallerThanDisk() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices need root");
        Path backing = dir.resolve("small-device.img");
        byte[] content = new byte[16 << 20];
        new Random(16).nextBytes(content);
        Files.write(backing, content);
        loopDevice = attachLoop(backing);
        targets.put(PVC1, loopDevice);

        Cli r = restoreVm("bk-3");

        r.assertError(ExitCode.INVALID_TARGET, loopDevice, PVC1, Long.toString(16L << 20), Long.toString(DISK1_SIZE));
        assertFalse(Files.exists(t0), "rejected restore created " + t0);
        assertArrayEquals(content, Files.readAllBytes(Path.of(loopDevice)), "rejected restore wrote to the device");
    }

    @ParameterizedTest
    @ValueSource(strings = {PVC0, PVC1})
    void pvcWithoutTarget(String pvc) throws IOException {
        targets.remove(pvc);
        refused(pvc, "no target");
    }

    @Test
    void targetForUnknownPvc() throws IOException {
        Path t9 = fx.targetDir.resolve("t9.raw");
        targets.put("my-vm-pvc-9", t9.toString());
        Cli r = restoreVm("bk-3");
        r.assertError(INVALID, "my-vm-pvc-9", "no such PVC");
        assertFalse(Files.exists(t9));
        assertTargetsUntouched();
    }

    @Test
    void targetDirectoryMissing() throws IOException {
        Path nowhere = fx.targetDir.resolve("no-such-dir").resolve("t1.raw");
        targets.put(PVC1, nowhere.toString());
        Cli r = restoreVm("bk-3");
        r.assertError(ExitCode.INVALID_TARGET, PVC1, nowhere.toString());
        assertFalse(Files.exists(t0));
        assertFalse(Files.exists(nowhere.getParent()));
    }

    // ---- usage errors (exit 2) ----

    @Test
    void noTargetOptionAtAll() throws IOException {
        targets.clear();
        restoreVm("bk-3").assertError(ExitCode.USAGE, "--target");
        assertTargetsUntouched();
    }

    @Test
    void targetWithoutPath() throws IOException {
        targets.remove(PVC0);
        restoreVm("bk-3", "--target", PVC0).assertError(ExitCode.USAGE, PVC0);
        assertTargetsUntouched();
    }

    @Test
    void targetWithEmptyPath() throws IOException {
        targets.put(PVC0, "");
        restoreVm("bk-3").assertError(ExitCode.USAGE, PVC0);
        assertTargetsUntouched();
    }

    @Test
    void targetWithEmptyPvcName() throws IOException {
        Path other = fx.targetDir.resolve("other.raw");
        restoreVm("bk-3", "--target", "=" + other).assertError(ExitCode.USAGE, "=" + other);
        assertFalse(Files.exists(other));
        assertTargetsUntouched();
    }

    // ---- helpers ----

    private static String attachLoop(Path backing) throws Exception {
        String dev;
        try {
            dev = exec("losetup", "-f", "--show", backing.toString()).strip();
        } catch (IOException e) {
            assumeTrue(false, "no loop device: " + e.getMessage());
            throw e;
        }
        assumeTrue(dev.startsWith("/dev/"), "losetup printed no device: " + dev);
        return dev;
    }

    private static String exec(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(cmd[0] + " not available: " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
        }
        return out;
    }
}
