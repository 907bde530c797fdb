package io.qcow2j.cli.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.cli.CliProcess;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Shell;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Targets the restore's user may not write (issue 31, point 3), as a pod not running as root meets
 * them: a block device without the device's group, a file owned by someone else, a directory it
 * may not create the new file in. Each is exit 5, "invalid target, untouched", naming the path,
 * the reason (owner, mode, the process's ids) and the fix (supplementalGroups, fsGroup). The CLI
 * runs as uid/gid 65532 with no supplementary groups (setpriv), from a copy of the class path that
 * user can read. Needs root.
 */
class PermissionTest {
    private static final long M = 1 << 20;
    private static final String UID = "65532";
    private static Path work;
    private static String classPath;

    private Path dir;
    private String loop;
    private String loopMode;

    @BeforeAll
    static void readableClassPath() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run the CLI as another user");
        assumeTrue(Shell.run("setpriv", "--version").code() == 0, "setpriv is not installed");
        work = Files.createTempDirectory("qcow2j-perm-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isRegularFile(p)) { // jars under root's home, which others may not enter
                Path copy = work.resolve((i++) + "-" + p.getFileName());
                Files.copy(p, copy, StandardCopyOption.COPY_ATTRIBUTES);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                entries.add(copy.toString());
            } else {
                entries.add(e);
            }
        }
        classPath = String.join(File.pathSeparator, entries);
        Files.createDirectories(work.resolve("home"));
        Shell.run("chown", UID + ":" + UID, work.resolve("home").toString());
    }

    @AfterAll
    static void removeCopies() throws IOException {
        if (work != null) {
            Shell.run("rm", "-rf", work.toString());
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(work, "t-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (loop != null) {
            Shell.run("chmod", loopMode.split(" ")[0], loop);
            Shell.run("chown", loopMode.split(" ")[1], loop);
            Shell.run("losetup", "-d", loop);
        }
    }

    /** The CLI as uid/gid 65532 with {@code groups} as its supplementary groups (none when empty). */
    private static CliProcess asUser(String groups, String... args) throws IOException {
        List<String> prefix = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID));
        prefix.addAll(groups.isEmpty() ? List.of("--clear-groups") : List.of("--groups=" + groups));
        Map<String, String> env = Map.of("HOME", work.resolve("home").toString(),
                "JAVA_TOOL_OPTIONS", "-Djna.tmpdir=" + work.resolve("home"));
        return CliProcess.start(prefix, classPath, env, args);
    }

    private static String[] restore(String target) {
        List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target));
        TestData.chain().forEach(p -> args.add(p.toString()));
        return args.toArray(String[]::new);
    }

    private static String refused(CliProcess p, String target) throws InterruptedException {
        assertEquals(ExitCode.INVALID_TARGET, p.waitFor(120), p.err());
        List<String> errors = p.lines("error: ");
        assertEquals(1, errors.size(), p.err());
        String line = errors.get(0);
        assertTrue(line.startsWith("error: " + target + ": "), line);
        assertTrue(line.contains("permission denied") && line.contains("uid " + UID), line);
        assertFalse(p.err().contains("\tat "), p.err());
        return line;
    }

    @Test
    void aBlockDeviceWithoutItsGroupIsExit5NamingTheGroupToAdd() throws Exception {
        Path backing = dir.resolve("device.img");
        Shell.run("truncate", "-s", (64 * M) + "", backing.toString());
        Shell.Result r = Shell.run("losetup", "-f", "--show", backing.toString());
        assumeTrue(r.code() == 0, "no loop device: " + r.err());
        loop = r.out().strip();
        loopMode = Shell.run("stat", "-c", "%a %u:%g", loop).out().strip();
        // as device nodes usually are: root's, writable for group disk (6)
        Shell.run("chown", "0:6", loop);
        Shell.run("chmod", "660", loop);
        try (CliProcess p = asUser("", restore(loop))) {
            String line = refused(p, loop);
            assertTrue(line.contains("gid 6") && line.contains("supplementalGroups"), line);
        }
        assertEquals(-1, Files.mismatch(backing, emptyOfSize(64 * M)), "the device was written");
        // the fix it names works: the same user with the device's group restores
        try (CliProcess p = asUser("6", restore(loop))) {
            assertEquals(0, p.waitFor(120), p.err());
        }
        assertEquals(TestData.chainSha256(), sha256OfPrefix(backing, TestData.chainSize()));
    }

    @Test
    void aFileOwnedBySomeoneElseIsExit5NamingFsGroup() throws Exception {
        Path target = Files.writeString(dir.resolve("disk.raw"), "root's");
        Shell.run("chmod", "777", dir.toString()); // the directory is not the problem here
        try (CliProcess p = asUser("", restore(target.toString()))) {
            String line = refused(p, target.toString());
            assertTrue(line.contains("not writable") && line.contains("fsGroup") && line.contains("owner uid 0"), line);
        }
        assertEquals("root's", Files.readString(target));
    }

    @Test
    void aDirectoryItMayNotCreateTheFileInIsExit5NamingTheTarget() throws Exception {
        Path target = dir.resolve("disk.raw");
        try (CliProcess p = asUser("", restore(target.toString()))) {
            String line = refused(p, target.toString());
            assertTrue(line.contains("directory " + dir + " is not writable") && line.contains("fsGroup"), line);
        }
        assertFalse(Files.exists(target));
    }

    private Path emptyOfSize(long size) throws IOException {
        Path p = work.resolve("zeros-" + size);
        if (!Files.exists(p)) {
            Shell.run("truncate", "-s", Long.toString(size), p.toString());
        }
        return p;
    }

    private static String sha256OfPrefix(Path file, long size) throws IOException {
        var md = Sha256.digest();
        try (var in = Files.newInputStream(file)) {
            md.update(in.readNBytes((int) size));
        }
        return Sha256.hex(md);
    }
}
