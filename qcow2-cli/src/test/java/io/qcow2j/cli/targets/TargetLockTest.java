package io.qcow2j.cli.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.cli.CliProcess;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.cli.QemuLockHolder;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two writers on one file target (issue 35, point 2), each a real process: a second restore, or
 * qemu, while a restore holds the file is refused before writing (exit 5, naming the target), and
 * qemu cannot open a file being restored. The first restore is frozen (SIGSTOP) once it is writing,
 * so the second always meets it there.
 */
@RequiresQemu
class TargetLockTest {
    @TempDir
    Path dir;
    private Path shm;
    private Path target;
    private final List<Path> empty64T = new ArrayList<>();

    /** 64 TiB of nothing onto an existing file takes seconds of hole punching: long enough to meet. */
    @BeforeEach
    void setUp() throws IOException {
        Path full = dir.resolve("full.qcow2");
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(full, 64L << 40, null);
        QemuImg.create(inc, 64L << 40, null);
        empty64T.addAll(List.of(full, inc));
        assumeTrue(Files.isWritable(Path.of("/dev/shm")), "needs /dev/shm");
        shm = Files.createTempDirectory(Path.of("/dev/shm"), "qcow2j-lock-");
        target = shm.resolve("disk.raw");
        Files.write(target, new byte[] {1, 2, 3});
    }

    @AfterEach
    void tearDown() throws IOException {
        Shell.run("rm", "-rf", shm.toString());
    }

    /** The first restore, stopped while it writes (and so holds the lock). */
    private CliProcess writingAndStopped() throws Exception {
        List<String> args = new ArrayList<>(List.of("restore", "--progress", "json", "--output", target.toString()));
        empty64T.forEach(p -> args.add(p.toString()));
        CliProcess first = CliProcess.start(args.toArray(String[]::new));
        assertTrue(first.awaitErr(l -> l.contains("\"event\":\"progress\""), 120), "no progress: " + first.err());
        first.signal("STOP");
        assertTrue(first.isAlive() && first.lines("{\"event\":\"done\"").isEmpty(),
                "the first restore finished before it could be met: " + first.err());
        return first;
    }

    @Test
    void aSecondRestoreIntoTheSameFileIsRefusedWhileTheFirstWrites() throws Exception {
        try (CliProcess first = writingAndStopped()) {
            List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target.toString()));
            TestData.chain().forEach(p -> args.add(p.toString()));
            CliRun second = CliRun.cli(args);
            assertEquals(ExitCode.INVALID_TARGET, second.exit(), second.err());
            List<String> errors = second.lines("error: ");
            assertEquals(1, errors.size(), second.err());
            assertTrue(errors.get(0).startsWith("error: " + target + ": ")
                    && errors.get(0).contains("locked by another process"), errors.get(0));

            // qemu sees the lock too: it refuses to write the file while it is being restored
            Shell.Result write = Shell.run("qemu-io", "-f", "raw", "-c", "write 0 512", target.toString());
            assertNotEquals(0, write.code(), "qemu-io wrote a file being restored: " + write.out());
            assertTrue((write.err() + write.out()).contains("lock"), write.err() + write.out());

            first.signal("CONT");
            assertEquals(0, first.waitFor(120), first.err());
        }
        assertEquals(64L << 40, Files.size(target), "the first restore's disk");
    }

    /** qemu holding the image (qemu-io, read-write) keeps a restore off it. */
    @Test
    void aFileQemuHoldsIsRefused() throws Exception {
        try (QemuLockHolder qemu = QemuLockHolder.hold(target)) {
            List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target.toString()));
            TestData.chain().forEach(p -> args.add(p.toString()));
            CliRun r = CliRun.cli(args);
            assertEquals(ExitCode.INVALID_TARGET, r.exit(), r.err());
            assertTrue(r.lines("error: ").get(0).contains("locked by another process"), r.err());
            assertEquals(3, Files.size(target), "the file qemu holds was written");
        }
    }
}
