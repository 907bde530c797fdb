package io.qcow2j.cli.vm;

import static io.qcow2j.oadp.VmLayoutFixture.NS;
import static io.qcow2j.oadp.VmLayoutFixture.PVC0;
import static io.qcow2j.oadp.VmLayoutFixture.PVC1;
import static io.qcow2j.oadp.VmLayoutFixture.VM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.qcow2j.cli.ExitCode;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * restore-vm targets that would destroy the backup or each other (issue 27, point 6): a target
 * inside the backup location (its index, a manifest), the same PVC given twice, and two new files
 * that are one file through a symlinked directory. Each is refused before the first write.
 */
@RequiresQemu
class RestoreVmTargetsTest extends RestoreVmTestBase {
    @BeforeEach
    void writeLayout() {
        fx.write();
    }

    private Cli restoreVm(String... targets) {
        List<String> args = new ArrayList<>(List.of("restore-vm", "--root", fx.root.toString(), "--backup", "bk-3",
                "--namespace", NS, "--vm", VM, "--progress=none"));
        for (String t : targets) {
            args.addAll(List.of("--target", t));
        }
        return Cli.run(args);
    }

    @Test
    void theLayoutsOwnIndexIsNotATarget() throws IOException {
        Path index = fx.indexFile();
        byte[] before = Files.readAllBytes(index);
        Path t0 = fx.targetDir.resolve("t0.raw");
        Cli r = restoreVm(PVC0 + "=" + t0, PVC1 + "=" + index);
        r.assertError(ExitCode.INVALID_TARGET, index.toString(), PVC1, "inside the backup location");
        assertArrayEquals(before, Files.readAllBytes(index), "the index was overwritten");
        assertFalse(Files.exists(t0));
    }

    @Test
    void aManifestIsNotATargetEither() throws IOException {
        Path manifest = fx.manifestFile("bk-3");
        byte[] before = Files.readAllBytes(manifest);
        Cli r = restoreVm(PVC0 + "=" + manifest, PVC1 + "=" + fx.targetDir.resolve("t1.raw"));
        r.assertError(ExitCode.INVALID_TARGET, manifest.toString(), "inside the backup location");
        assertArrayEquals(before, Files.readAllBytes(manifest));
    }

    @Test
    void aNewFileInsideTheBackupLocationIsRefused() {
        Path inside = fx.root.resolve("restored.raw");
        Cli r = restoreVm(PVC0 + "=" + inside, PVC1 + "=" + fx.targetDir.resolve("t1.raw"));
        r.assertError(ExitCode.INVALID_TARGET, inside.toString(), "inside the backup location");
        assertFalse(Files.exists(inside));
    }

    @Test
    void theSamePvcTwiceIsAUsageError() {
        Path a = fx.targetDir.resolve("a.raw");
        Path b = fx.targetDir.resolve("b.raw");
        Cli r = restoreVm(PVC0 + "=" + a, PVC1 + "=" + fx.targetDir.resolve("t1.raw"), PVC0 + "=" + b);
        r.assertError(ExitCode.USAGE, "given twice for PVC " + PVC0);
        assertFalse(Files.exists(a) || Files.exists(b));
    }

    /** a/x.raw and alink/x.raw are one file: the second disk would overwrite the first. */
    @Test
    void twoNewFilesThatAreOneThroughASymlinkedDirectoryAreRefused() throws IOException {
        Path a = Files.createDirectories(fx.targetDir.resolve("a"));
        Path alink = Files.createSymbolicLink(fx.targetDir.resolve("alink"), a);
        Cli r = restoreVm(PVC0 + "=" + a.resolve("x.raw"), PVC1 + "=" + alink.resolve("x.raw"));
        r.assertError(ExitCode.INVALID_TARGET, "the same file as the target of PVC");
        assertFalse(Files.exists(a.resolve("x.raw")), "the first disk was restored before the refusal");
    }
}
