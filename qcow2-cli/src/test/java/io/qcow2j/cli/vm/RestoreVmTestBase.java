package io.qcow2j.cli.vm;

import static io.qcow2j.oadp.VmLayoutFixture.PVC0;
import static io.qcow2j.oadp.VmLayoutFixture.PVC1;

import io.qcow2j.oadp.VmLayoutFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the {@code restore-vm} CLI tests start: qemu's backup images (built once per JVM) installed
 * in a fresh OADP layout under a temporary folder, the targets' folder made, and PVC0's and PVC1's
 * target paths. The layout's JSON is not written yet: each test class writes it once it has
 * changed what it needs.
 */
abstract class RestoreVmTestBase {
    static VmBackupImages images;

    @TempDir
    Path dir;
    VmLayoutFixture fx;
    Path t0;
    Path t1;

    @BeforeAll
    static void buildImages() throws IOException {
        images = VmBackupImages.shared();
    }

    @BeforeEach
    void installImages() throws IOException {
        fx = new VmLayoutFixture(dir);
        images.installInto(fx);
        Files.createDirectories(fx.targetDir);
        t0 = fx.targets.get(PVC0);
        t1 = fx.targets.get(PVC1);
    }
}
