package io.qcow2j.cli.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.cli.Main;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targets that must be refused before anything is written (issue 27, points 5 and 7): the block
 * device under the backup's own mounted file system, a read-only mount, a dangling symbolic link,
 * an immutable file, a disk larger than the file system's largest file. Each is exit 5, "invalid
 * target, untouched". And a new target's directory is synced with it (point 8). The cases that
 * need loop devices, mounts or strace run as root and are skipped otherwise.
 */
class TargetSafetyTest {
    private static final long M = 1 << 20;

    @TempDir
    Path dir;
    private final List<String> cleanup = new ArrayList<>();

    @AfterEach
    void undo() throws IOException {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            Shell.run("sh", "-c", cleanup.get(i));
        }
    }

    private static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (loop devices, mounts)");
    }

    private static void sh(String... cmd) throws IOException {
        Shell.Result r = Shell.run(cmd);
        assumeTrue(r.code() == 0, "cannot run " + String.join(" ", cmd) + ": " + r.err());
    }

    /** An ext4 file system of {@code mib} MiB on a loop device, mounted at DIR/mnt; returns the device. */
    private String ext4(long mib) throws IOException {
        assumeRoot();
        Path img = dir.resolve("fs.img");
        Files.write(img, new byte[0]);
        sh("truncate", "-s", mib + "M", img.toString());
        sh("mkfs.ext4", "-q", "-F", img.toString());
        Shell.Result loop = Shell.run("losetup", "-f", "--show", img.toString());
        assumeTrue(loop.code() == 0, "no loop device: " + loop.err());
        String dev = loop.out().strip();
        cleanup.add("losetup -d " + dev);
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        sh("mount", dev, mnt.toString());
        cleanup.add("umount " + mnt);
        return dev;
    }

    private static CliRun restore(Path target, List<Path> images) {
        List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target.toString()));
        images.forEach(p -> args.add(p.toString()));
        return CliRun.cli(args.toArray(String[]::new));
    }

    private static void assertRefusedTarget(CliRun r, String target, String why) {
        assertEquals(ExitCode.INVALID_TARGET, r.exit(), r.err());
        String line = r.lines("error: ").get(0);
        assertTrue(line.startsWith("error: " + target + ": ") && line.contains(why), line);
    }

    /** Restoring onto the device whose file system holds the backup would destroy both. */
    @Test
    void theMountedDeviceUnderTheBackupIsRefused() throws IOException {
        String dev = ext4(64);
        List<Path> chain = new ArrayList<>();
        for (Path p : TestData.chain()) {
            chain.add(Files.copy(p, dir.resolve("mnt").resolve(p.getFileName())));
        }
        String before = Sha256.of(chain.get(0));
        CliRun r = restore(Path.of(dev), chain);
        assertRefusedTarget(r, dev, "in use");
        assertEquals(before, Sha256.of(chain.get(0)), "the backup's file system was written");
    }

    @Test
    void aReadOnlyMountIsRefused() throws IOException {
        assumeRoot();
        Path ro = Files.createDirectories(dir.resolve("ro"));
        sh("mount", "-t", "tmpfs", "-o", "ro,size=1m", "none", ro.toString());
        cleanup.add("umount " + ro);
        Path target = ro.resolve("disk.raw");
        assertRefusedTarget(restore(target, TestData.chain()), target.toString(), "not writable");
    }

    @Test
    void aDanglingSymbolicLinkIsRefused() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("disk.raw"), dir.resolve("missing/disk.raw"));
        assertRefusedTarget(restore(link, TestData.chain()), link.toString(), "does not exist");
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void anImmutableFileIsRefusedAndKept() throws IOException {
        ext4(64);
        Path target = dir.resolve("mnt/disk.raw");
        Files.write(target, new byte[4096]);
        sh("chattr", "+i", target.toString());
        cleanup.add("chattr -i " + target);
        CliRun r = restore(target, TestData.chain());
        assertEquals(ExitCode.INVALID_TARGET, r.exit(), r.err());
        assertTrue(r.lines("error: ").get(0).startsWith("error: " + target + ": "), r.err());
        assertEquals(4096, Files.size(target));
    }

    /** ext4's largest file is 16 TiB: a 64 TiB disk cannot be a file there. */
    @Test
    @RequiresQemu
    void aDiskLargerThanTheFileSystemsLargestFileIsRefused() throws IOException {
        ext4(64);
        Path big = dir.resolve("big.qcow2");
        QemuImg.create(big, 64L << 40, "");
        Path target = dir.resolve("mnt/disk.raw");
        CliRun r = restore(target, List.of(big));
        assertRefusedTarget(r, target.toString(), "File too large");
        assertFalse(Files.exists(target), "the new file was left behind");
    }

    /** The new file's directory entry is made durable: fsync on the directory after the file's. */
    @Test
    void aNewTargetsDirectoryIsSynced() throws IOException {
        assumeTrue(Shell.run("strace", "-V").code() == 0, "strace is not installed");
        Path target = dir.resolve("out/disk.raw");
        Files.createDirectories(target.getParent());
        Path trace = dir.resolve("trace.txt");
        // -y prints every descriptor with its path: fsync(12</the/dir>) names the directory itself,
        // whatever the threads interleave ("<unfinished ...>" lines)
        List<String> cmd = new ArrayList<>(List.of("strace", "-f", "-qq", "-y", "-e", "trace=fsync", "-o",
                trace.toString(), Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "restore", "--progress=none",
                "--output", target.toString()));
        TestData.chain().forEach(p -> cmd.add(p.toString()));
        Shell.Result r = Shell.run(cmd.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        String dirArg = "<" + target.getParent().toRealPath() + ">)";
        boolean synced = Files.readAllLines(trace).stream().anyMatch(l -> l.contains("fsync(") && l.contains(dirArg));
        assertTrue(synced, "no fsync of " + target.getParent() + "; trace in " + trace);
        assertEquals(TestData.chainSha256(), Sha256.of(target));
    }

}
