package io.qcow2j.cli.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.Main;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Write faults and signals through the command line (issue 6, item 4): a full filesystem must end
 * with exit 4 and one {@code error:} line with the guest offset, and a signal must end with a
 * non-zero status and one {@code error:} line saying the target is incomplete; never a success
 * summary or a digest.
 */
@RequiresQemu
class CliWriteFaultTest {
    private static final long MIB = 1 << 20;
    private static final Pattern GUEST_OFFSET = Pattern.compile("guest offset (\\d+)");

    @TempDir
    Path dir;
    /** A tmpfs this test mounted for the signal test's target, unmounted at its end. */
    private Path ramMount;

    /** 16 MiB with 768 KiB of data at the start of each 4 MiB block: 3 MiB of data in all. */
    private Path dataImage() throws IOException {
        Path img = dir.resolve("data.qcow2");
        QemuImg.create(img, 16 * MIB, "cluster_size=65536");
        QemuIo.on(img).write(0, 768 << 10, 0x11).write(4 * MIB, 768 << 10, 0x22)
                .write(8 * MIB, 768 << 10, 0x33).write(12 * MIB, 768 << 10, 0x44).run();
        return img;
    }

    @ParameterizedTest(name = "workers {0}")
    @ValueSource(strings = {"1", "2"})
    void aFullFilesystemExits4WithTheGuestOffset(String workers) throws Exception {
        Path img = dataImage();
        Path mnt = Files.createDirectories(dir.resolve("small-tmpfs"));
        mountTmpfs(mnt, "1m");
        try {
            Path target = mnt.resolve("disk.raw");
            CliRun run = CliRun.cli("restore", "--progress", "none", "--workers", workers, "--output",
                    target.toString(), img.toString());
            int rc = run.exit();
            String e = run.err();
            assertEquals(4, rc, "exit status; stderr: " + e);
            assertEquals("", run.out(), "no summary on stdout");
            String line = onlyErrorLine(e);
            assertTrue(line.contains(target.toString()), line);
            assertTrue(line.contains("No space left on device"), line);
            assertTrue(line.contains("incomplete"), line);
            long at = guestOffset(line);
            // the failed write is one of the data's (zeros are not written to a new file); with two
            // workers either block may be written first (out-of-order positional writes), so the
            // write that finds the file system full can be in block 0 as well
            assertTrue(at >= 0 && at < 16 * MIB && at % (4 * MIB) < (768 << 10), "offset inside the data: " + line);
            if (workers.equals("1")) {
                // one worker writes blocks in order: block 0's 768 KiB fit in 1 MiB, block 1's do not
                assertTrue(at >= 4 * MIB && at < 4 * MIB + (768 << 10), "blocks are written in order: " + line);
            }
        } finally {
            unmount(mnt);
        }
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalMidRestoreExitsNonZeroAndSaysIncomplete(String signal) throws Exception {
        // 64 TiB of nothing onto an existing file: every zero range is handed to the kernel, which
        // takes seconds in all, so the signal lands mid-run; a RAM file system keeps it cheap
        Path full = dir.resolve("full.qcow2");
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(full, 64L << 40, null);
        QemuImg.create(inc, 64L << 40, null);
        Path targetDir = ramDir();
        Path target = targetDir.resolve("disk.raw");
        Files.createFile(target);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "restore", "--progress", "json", "--output", target.toString(), full.toString(), inc.toString());
        Process p = new ProcessBuilder(cmd).start();
        try {
            List<String> errLines = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch progressSeen = new CountDownLatch(1);
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(p));
            Thread errReader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        errLines.add(l);
                        if (l.contains("\"event\":\"progress\"")) {
                            progressSeen.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            });
            errReader.start();
            assertTrue(progressSeen.await(60, TimeUnit.SECONDS), "no progress: " + errLines);
            int signo = signal.equals("TERM") ? 15 : 2;
            Assumptions.assumeFalse(ignores(p.pid(), signo), "SIG" + signal + " is ignored by this process tree "
                    + "(a non-interactive shell starts background jobs that way); a terminal's signal is not");
            Assumptions.assumeTrue(p.isAlive(), "the restore finished before the signal could be sent");
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the restore did not stop after SIG" + signal);
            errReader.join(10_000);
            String err = String.join("\n", errLines);
            assertEquals(128 + signo, p.exitValue(), "exit status; stderr: " + err);
            assertFalse(stdout.get(10, TimeUnit.SECONDS).contains("restored"), "a success summary was printed");
            assertEquals("", stdout.get(), "nothing on stdout");
            String line = onlyErrorLine(err);
            assertTrue(line.contains("interrupted by a signal"), line);
            assertTrue(line.contains("incomplete"), line);
            assertTrue(line.contains(target.toString()), line);
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(target);
            if (ramMount != null) {
                unmount(ramMount);
            } else {
                Files.deleteIfExists(targetDir);
            }
        }
    }

    /** The single line of {@code err} starting with {@code error:}; no stack trace, no digest. */
    private static String onlyErrorLine(String err) {
        List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), "exactly one error line expected:\n" + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "stack trace or class name:\n" + err);
        assertFalse(err.contains("digest"), "a digest was claimed:\n" + err);
        return errors.get(0);
    }

    private static long guestOffset(String line) {
        Matcher m = GUEST_OFFSET.matcher(line);
        assertTrue(m.find(), "no guest offset in: " + line);
        return Long.parseLong(m.group(1));
    }

    /** True when {@code signo} is in the process's ignored-signal mask (Linux /proc). */
    private static boolean ignores(long pid, int signo) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return false;
        }
        for (String l : Files.readAllLines(status)) {
            if (l.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(l.substring(7).strip(), 16);
                return (mask >>> (signo - 1) & 1) != 0;
            }
        }
        return false;
    }

    /** /dev/shm when usable, else a fresh tmpfs (root only), else the test is skipped. */
    private Path ramDir() throws Exception {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "qcow2j-signal-");
        }
        Path mnt = Files.createDirectories(dir.resolve("ram"));
        mountTmpfs(mnt, "64m");
        ramMount = mnt;
        return mnt;
    }

    private static void mountTmpfs(Path mnt, String size) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "mounting a size-limited tmpfs needs root");
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        Assumptions.assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs here: " + out);
    }

    private static void unmount(Path mnt) throws Exception {
        Process p = new ProcessBuilder("umount", mnt.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), "umount " + mnt + ": " + out);
    }

    private static String readAll(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
