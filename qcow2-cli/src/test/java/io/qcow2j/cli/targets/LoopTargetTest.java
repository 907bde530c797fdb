package io.qcow2j.cli.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loop device backed by one of the chain's images is refused as the target (issue 35, point 6),
 * recognised by the backing file's device and inode whatever name it was attached by: restoring
 * onto it would overwrite the image while it is read. Needs root and a free loop device.
 */
@RequiresQemu
class LoopTargetTest {
    private static final long M = 1 << 20;

    @TempDir
    Path dir;
    private String loop;

    @AfterEach
    void detach() throws IOException {
        if (loop != null) {
            Shell.run("losetup", "-d", loop);
        }
    }

    @Test
    void aLoopDeviceBackedByAnImageOfTheChainIsRefused() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices need root");
        // fully allocated: the image file is larger than its disk, so the device is large enough
        Path full = dir.resolve("full.qcow2");
        QemuImg.create(full, 4 * M, "cluster_size=65536");
        QemuIo.on(full).write(0, 4 * M, 0x5a).run();
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(inc, 4 * M, "cluster_size=65536");
        QemuIo.on(inc).write(M, 64 << 10, 0xa5).run();
        // attached by another name of the same file: only device and inode tell them apart
        Path alias = Files.createLink(dir.resolve("alias.img"), full);
        Shell.Result r = Shell.run("losetup", "-f", "--show", alias.toString());
        assumeTrue(r.code() == 0, "no loop device: " + r.err());
        loop = r.out().strip();
        Files.delete(alias);
        String before = Sha256.of(full);

        CliRun run = CliRun.cli("restore", "--progress=none", "--output", loop, full.toString(), inc.toString());
        assertEquals(ExitCode.INVALID_TARGET, run.exit(), run.err());
        String line = run.lines("error: ").get(0);
        assertTrue(line.startsWith("error: " + loop + ": ") && line.contains("loop device backed by one of the chain's"
                + " images (" + full + ")"), line);
        assertEquals(before, Sha256.of(full), "the image behind the loop device was written");

        // a loop device backed by another file is a target like any other
        Path other = dir.resolve("other.img");
        Shell.run("truncate", "-s", (8 * M) + "", other.toString());
        Shell.run("losetup", "-d", loop);
        r = Shell.run("losetup", "-f", "--show", other.toString());
        assumeTrue(r.code() == 0, "no loop device: " + r.err());
        loop = r.out().strip();
        run = CliRun.cli("restore", "--progress=none", "--output", loop, full.toString(), inc.toString());
        assertEquals(0, run.exit(), run.err());
    }
}
