package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliProcess;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Shell;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SIGTERM and SIGINT sent to a real restore process (issue 31, point 3), in {@code datamover-restore},
 * {@code restore} and {@code restore-vm}, while it validates and while it writes: kind
 * {@code cancelled}, the signal's status (143, 130), one {@code error:} line naming the target path
 * (never a staging file) and saying what is left there: a file target staged and not renamed is
 * untouched (not created, or its old content intact), a block device is partially written. The
 * object store is slowed down by a relay (FaultProxy pacing its responses) so each phase lasts
 * seconds: the signal is sent once the process is seen in it (requests for validation, a progress
 * event for writing).
 */
@RequiresQemu
class SignalCancelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    FaultProxy proxy;
    String bucket;
    Path terminationLog;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    /**
     * One disk, rootdisk, with 32 MiB of data in 4 MiB blocks: paced to 1 MB/s per connection and
     * read by two workers, writing lasts about 16 s, and a worker finishes its block within 4 s of
     * a cancel.
     */
    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        long m = 1 << 20;
        ControllerBackup.DiskChain disk = new ControllerBackup.DiskChain(dir.resolve("img"), "rootdisk", 40 * m, 65536);
        disk.full(data(0, 24 * m));
        disk.incremental(data(24 * m, 8 * m));
        disk.incremental(data(m, 65536));
        List<Path> images = disk.images();
        ControllerBackup b = new ControllerBackup();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", images.get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", images.get(1)));
        b.checkpoint("cp3", "incremental", "cp2", Map.of("rootdisk", images.get(2)));
        b.backup("b3", "cp1", "cp2", "cp3");
        dm.layout = b;
        proxy = FaultProxy.start(backups.server.endpoint());
        bucket = backups.upload(b);
        terminationLog = Files.createFile(dir.resolve("termination-log"));
    }

    @AfterEach
    void tearDown() throws IOException {
        proxy.close();
    }

    private Map<String, String> datamoverEnv() {
        Map<String, String> env = dm.env(bucket, "b3", "rootdisk", proxy.endpoint());
        env.put("JAVA_TOOL_OPTIONS", "-XX:ActiveProcessorCount=2");
        env.put("KUBEVIRT_DM_PROGRESS", "json");
        env.put("QCOW2J_TERMINATION_LOG", terminationLog.toString());
        return env;
    }

    private Map<String, String> awsEnv() {
        return DatamoverRun.awsEnv(proxy.endpoint());
    }

    private List<String> images() {
        List<String> args = new ArrayList<>();
        for (String id : List.of("cp1", "cp2", "cp3")) {
            args.add("s3://" + bucket + "/" + S3Backups.PREFIX + "/" + dm.layout.key(id, "rootdisk"));
        }
        return args;
    }

    /** Validation: responses paced to 32 KB/s; the signal once the first request went out. */
    private void duringValidation(CliProcess p, String signal) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (proxy.requestCount() == 0) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "no request: " + p.err());
            Thread.sleep(20);
        }
        send(p, signal);
    }

    /** Writing: responses paced; the signal once a progress event says writing began. */
    private static void duringWriting(CliProcess p, String signal) throws Exception {
        assertTrue(p.awaitErr(l -> l.contains("\"event\":\"progress\""), 120), "no progress: " + p.err());
        assertTrue(p.isAlive() && p.lines("{\"event\":\"done\"").isEmpty(), "finished before the signal: " + p.err());
        send(p, signal);
    }

    private static void send(CliProcess p, String signal) throws Exception {
        int signo = signal.equals("TERM") ? 15 : 2;
        assumeFalse(p.ignores(signo), "SIG" + signal + " is ignored by this process tree (a background job)");
        p.signal(signal);
    }

    /** The contract for a cancelled run: status, one error line naming the target, no stack trace. */
    private static String cancelled(CliProcess p, String signal, String target) throws Exception {
        int status = signal.equals("TERM") ? 143 : 130;
        assertEquals(status, p.waitFor(60), p.err());
        List<String> errors = p.lines("error: ");
        assertEquals(1, errors.size(), p.err());
        String line = errors.get(0);
        assertTrue(line.startsWith("error: " + target + ": cancelled: interrupted by a signal (SIG" + signal + ")"),
                line);
        assertFalse(line.contains(".tmp-"), "names a staging file: " + line);
        assertFalse(line.contains("I/O error") || p.err().contains("\tat "), p.err());
        JsonNode event = JSON.readTree(p.lines("{\"event\":\"error\"").get(0));
        assertEquals("cancelled", event.path("kind").asText());
        assertEquals(status, event.path("exit").asInt());
        return line;
    }

    @Test
    void datamoverRestoreSigtermWhileValidating() throws Exception {
        proxy.throttle(32 << 10);
        try (CliProcess p = CliProcess.start(List.of(), null, datamoverEnv(), "datamover-restore")) {
            duringValidation(p, "TERM");
            String line = cancelled(p, "TERM", dm.target.toString());
            assertTrue(line.endsWith("before anything was written; the target was left untouched"), line);
            JsonNode error = JSON.readTree(p.out());
            assertEquals("cancelled", error.path("error").path("kind").asText());
            assertEquals(dm.target.toString(), error.path("error").path("resource").asText());
            assertEquals(143, error.path("exit").asInt());
        }
        assertEquals(List.of(), p(dm.targetDir), "the target directory was written");
        assertTrue(Files.readString(terminationLog).startsWith(dm.target + ": cancelled"),
                Files.readString(terminationLog));
    }

    /** A file target is staged: SIGTERM keeps an existing file's old content, SIGINT creates no file. */
    @ParameterizedTest(name = "SIG{0}, existing file: {1}")
    @CsvSource({"TERM, true", "INT, false"})
    void datamoverRestoreSignalWhileWritingLeavesTheTargetAsItWas(String signal, boolean existing) throws Exception {
        if (existing) {
            Files.writeString(dm.target, "the old disk");
        }
        proxy.throttle(1 << 20);
        try (CliProcess p = CliProcess.start(List.of(), null, datamoverEnv(), "datamover-restore")) {
            duringWriting(p, signal);
            String line = cancelled(p, signal, dm.target.toString());
            assertTrue(line.contains("restore cancelled at guest offset "), line);
            assertTrue(line.endsWith(existing ? "the target was left untouched, its old content intact"
                    : "the target was not created"), line);
        }
        assertEquals(existing ? List.of("disk.img") : List.of(), p(dm.targetDir), "staging file left behind");
        if (existing) {
            assertEquals("the old disk", Files.readString(dm.target));
        }
    }

    @Test
    void restoreSigintWhileValidating() throws Exception {
        proxy.throttle(32 << 10);
        List<String> args = new ArrayList<>(List.of("restore", "--progress", "json", "--output", dm.target.toString()));
        args.addAll(images());
        try (CliProcess p = CliProcess.start(List.of(), null, awsEnv(), args.toArray(String[]::new))) {
            duringValidation(p, "INT");
            String line = cancelled(p, "INT", dm.target.toString());
            assertTrue(line.endsWith("the target was left untouched"), line);
        }
        assertEquals(List.of(), p(dm.targetDir));
    }

    @Test
    void restoreVmSigtermWhileWritingNamesTheDisk() throws Exception {
        proxy.throttle(1 << 20);
        Path root = dm.targetDir.resolve("root.raw");
        try (CliProcess p = CliProcess.start(List.of(), null, awsEnv(), "restore-vm", "--progress", "json",
                "--workers", "2", "--bucket", bucket, "--prefix", S3Backups.PREFIX, "--backup", "b3", "--namespace",
                dm.layout.ns, "--vm", dm.layout.vm, "--target", "rootdisk=" + root)) {
            duringWriting(p, "TERM");
            String line = cancelled(p, "TERM", root.toString());
            assertTrue(line.contains("PVC rootdisk") && line.endsWith("the target was not created"), line);
        }
        assertEquals(List.of(), p(dm.targetDir));
    }

    /** A block device is written in place: a cancel leaves it partially written, and says so. */
    @Test
    void restoreSigtermWhileWritingABlockDeviceSaysPartiallyWritten() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices need root");
        Path backing = dir.resolve("device.img");
        Shell.run("truncate", "-s", Long.toString(64 << 20), backing.toString());
        Shell.Result r = Shell.run("losetup", "-f", "--show", backing.toString());
        assumeTrue(r.code() == 0, "no loop device: " + r.err());
        String loop = r.out().strip();
        try {
            proxy.throttle(1 << 20);
            List<String> args = new ArrayList<>(List.of("restore", "--progress", "json", "--workers", "2", "--output",
                    loop));
            args.addAll(images());
            try (CliProcess p = CliProcess.start(List.of(), null, awsEnv(), args.toArray(String[]::new))) {
                duringWriting(p, "TERM");
                String line = cancelled(p, "TERM", loop);
                assertTrue(line.endsWith("the target is incomplete (partially written: do not use it)"), line);
            }
        } finally {
            Shell.run("losetup", "-d", loop);
        }
    }

    private static List<String> p(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
