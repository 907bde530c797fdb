package io.qcow2j.cli.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliProcess;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.cli.Main;
import io.qcow2j.cli.QemuLockHolder;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreCancelledException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.Shell;
import io.qcow2j.restore.TargetState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new file target appears only when complete (issue 35, point 7; issue 31, point 3): restored
 * into a staging file beside it, owner-only from its creation, renamed into place after fsync; a
 * failure (a full file system, a cancel after the last write) leaves no file; leftovers of killed
 * restores are removed first, and one a live restore holds is not.
 */
@RequiresQemu
class NewFileTargetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long M = 1 << 20;

    @TempDir
    Path dir;

    private static CliRun restore(Path target, String... extra) {
        List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target.toString()));
        args.addAll(List.of(extra));
        TestData.chain().forEach(p -> args.add(p.toString()));
        return CliRun.cli(args);
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The staging file is created 0600 (openat's mode), never chmod-ed afterwards, then renamed. */
    @Test
    void theStagingFileIsOwnerOnlyFromItsCreation() throws IOException {
        assumeTrue(Shell.run("strace", "-V").code() == 0, "strace is not installed");
        Path target = dir.resolve("disk.raw");
        Path trace = dir.resolve("trace.txt");
        List<String> cmd = new ArrayList<>(List.of("strace", "-f", "-qq", "-e",
                "trace=openat,rename,renameat,renameat2,chmod,fchmod,fchmodat", "-o", trace.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "restore", "--progress=none",
                "--output", target.toString()));
        TestData.chain().forEach(p -> cmd.add(p.toString()));
        Shell.Result r = Shell.run(cmd.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<String> calls = Files.readAllLines(trace).stream().filter(l -> l.contains(".disk.raw.tmp-")).toList();
        // strace splits a call another thread interrupts: "…, 0600 <unfinished ...>", then "<… resumed>"
        assertTrue(calls.stream().anyMatch(l -> l.contains("openat(") && l.contains("O_CREAT|O_EXCL")
                && (l.contains(", 0600)") || l.contains(", 0600 <unfinished ...>"))),
                "no 0600 creation of the staging file: " + calls);
        assertTrue(calls.stream().noneMatch(l -> l.contains("chmod")), "the staging file was chmod-ed: " + calls);
        assertTrue(calls.stream().anyMatch(l -> l.contains("rename")), "not renamed into place: " + calls);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertEquals(TestData.chainSha256(), Sha256.of(target));
        assertEquals(List.of("disk.raw", "trace.txt"), names(dir));
    }

    /** ENOSPC half-way: exit 4, and the file system holds nothing of it afterwards. */
    @Test
    void aFullFileSystemLeavesNoNewFile() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root");
        Path img = dir.resolve("data.qcow2");
        QemuImg.create(img, 16 * M, "cluster_size=65536");
        QemuIo.on(img).write(0, 3 * M, 0x11).write(8 * M, 3 * M, 0x22).run();
        Path mnt = Files.createDirectories(dir.resolve("small"));
        Shell.Result m = Shell.run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.toString());
        assumeTrue(m.code() == 0, "cannot mount a tmpfs: " + m.err());
        try {
            Path target = mnt.resolve("disk.raw");
            CliRun r = CliRun.cli("restore", "--progress=none", "--output", target.toString(), img.toString());
            assertEquals(ExitCode.INCOMPLETE, r.exit(), r.err());
            String line = r.lines("error: ").get(0);
            assertTrue(line.startsWith("error: " + target + ": ") && line.contains("No space left on device")
                    && line.contains("the target was not created"), line);
            assertFalse(line.contains(".tmp-"), "names the staging file: " + line);
            assertEquals(List.of(), names(mnt), "the failed restore left files behind");
        } finally {
            Shell.run("umount", mnt.toString());
        }
    }

    /** A cancel that lands after the last write (the final fsync, before the rename) publishes nothing. */
    @Test
    void aCancelAfterTheLastWriteLeavesNoNewFile() throws IOException {
        Path target = dir.resolve("disk.raw");
        Restore[] restore = {null};
        RestoreOptions options = RestoreOptions.builder().workers(1).progress((done, total) -> {
            if (done == total) {
                restore[0].cancel();
            }
        }).build();
        try (io.qcow2j.restore.Chain chain = io.qcow2j.restore.Chain.open(TestData.chain(), options.chainOptions())) {
            restore[0] = Restore.of(chain, target, options);
            RestoreCancelledException e = assertThrows(RestoreCancelledException.class, restore[0]::run);
            assertEquals(TargetState.NOT_CREATED, e.targetState());
            assertEquals(target.toString(), e.resource());
        }
        assertEquals(List.of(), names(dir));
    }

    /**
     * SIGTERM while the restored file is being forced to stable storage, before its rename: every
     * {@code fsync} is held up 3 s (strace fault injection), the signal is sent once the last byte
     * was written (the 100% progress event), so it lands in the final fsyncs. Exit 143, nothing at
     * the path or beside it.
     */
    @Test
    void aSigtermDuringTheFinalFsyncLeavesNoNewFile() throws Exception {
        assumeTrue(Shell.run("strace", "-V").code() == 0, "strace is not installed");
        Path target = dir.resolve("disk.raw");
        List<String> args = new ArrayList<>(List.of("restore", "--progress", "json", "--output", target.toString()));
        TestData.chain().forEach(p -> args.add(p.toString()));
        List<String> strace = List.of("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e",
                "inject=fsync:delay_enter=3000000");
        try (CliProcess p = CliProcess.start(strace, null, java.util.Map.of(), args.toArray(String[]::new))) {
            assertTrue(p.awaitErr(l -> l.contains("\"percent\":100.0"), 120), "never wrote it all: " + p.err());
            p.signalChild("TERM");
            assertEquals(143, p.waitFor(60), p.err());
            List<String> errors = p.lines("error: ");
            assertEquals(1, errors.size(), p.err());
            assertTrue(errors.get(0).startsWith("error: " + target + ": cancelled: interrupted by a signal (SIGTERM)")
                    && errors.get(0).endsWith("the target was not created"), errors.get(0));
        }
        assertEquals(List.of(), names(dir));
    }

    /** Leftovers of killed restores to this path (and only those: by name) are removed and named. */
    @Test
    void leftoversOfKilledRestoresAreRemovedAndNamed() throws IOException {
        Path target = dir.resolve("disk.raw");
        Path leftover = dir.resolve(".disk.raw.tmp-3k9x0p2");
        try (var f = new java.io.RandomAccessFile(leftover.toFile(), "rw")) {
            f.setLength(64 * M);
        }
        List<String> others = List.of(".disk.raw.tmp-NOTOURS", ".disk.raw.tmp-", ".other.raw.tmp-3k9x0p2",
                "disk.raw.tmp-3k9x0p2", ".disk.raw.tmp-3k9x0p2.keep");
        for (String o : others) {
            Files.writeString(dir.resolve(o), "not ours");
        }
        CliRun r = restore(target, "--json");
        assertEquals(0, r.exit(), r.err());
        assertFalse(Files.exists(leftover), "the leftover stayed");
        for (String o : others) {
            assertEquals("not ours", Files.readString(dir.resolve(o)), o + " was touched");
        }
        JsonNode notes = JSON.readTree(r.out()).path("notes");
        assertTrue(notes.toString().contains("removed " + leftover) && notes.toString().contains("64.0 MiB"),
                "the summary does not say so: " + notes);
        assertEquals(TestData.chainSha256(), Sha256.of(target));

        // a name with glob characters is matched literally
        Path odd = dir.resolve("d*sk[1].raw");
        Path oddLeftover = Files.writeString(dir.resolve(".d*sk[1].raw.tmp-0a"), "left");
        Path notOurs = Files.writeString(dir.resolve(".dXsk1.raw.tmp-0a"), "not ours");
        assertEquals(0, restore(odd).exit());
        assertFalse(Files.exists(oddLeftover), "the leftover of d*sk[1].raw stayed");
        assertTrue(Files.exists(notOurs), "a file the glob would match was removed");
    }

    /** A staging file some process holds locked belongs to a live restore: refused, and kept. */
    @Test
    void aStagingFileALiveRestoreHoldsIsNotRemoved() throws Exception {
        Path target = dir.resolve("disk.raw");
        Path live = Files.write(dir.resolve(".disk.raw.tmp-live0"), new byte[4096]);
        // qemu-io takes qemu's locks on it: as a running restore's lock, an OFD lock on those bytes
        try (QemuLockHolder holder = QemuLockHolder.hold(live)) {
            CliRun r = restore(target);
            assertEquals(ExitCode.INVALID_TARGET, r.exit(), r.err());
            assertTrue(r.lines("error: ").get(0).startsWith("error: " + target + ": ")
                    && r.err().contains("another restore to this path is running"), r.err());
            assertTrue(Files.exists(live), "a live restore's staging file was removed");
            assertFalse(Files.exists(target));
        }
    }
}
