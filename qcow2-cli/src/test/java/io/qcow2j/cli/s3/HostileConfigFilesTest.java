package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files named by the environment that are not small regular files: a directory, a FIFO (whose open
 * blocks until a writer comes), {@code /dev/zero} (endless), a huge sparse file, a malformed INI.
 * Each is exit 2 within a bounded time, with one {@code error:} line naming the variable and the
 * path, nothing written: for every variable naming such a file (credentials, config, web identity
 * token, SSE-C key, CA bundle), through {@code datamover-restore} and {@code restore}.
 */
@RequiresQemu
class HostileConfigFilesTest {
    /** Checking a file costs no reading: far below this even on a busy machine; a hang or read never ends. */
    private static final Duration BUDGET = Duration.ofSeconds(2);
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    Path fifo;
    Path huge;
    Path malformed;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        fifo = dir.resolve("fifo");
        assertEquals(0, Shell.run("mkfifo", fifo.toString()).code());
        huge = dir.resolve("huge");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(8L << 30); // sparse: 8 GiB of zeros, no disk space
        }
        malformed = Files.writeString(dir.resolve("malformed"), "[default\naws_access_key_id\n");
    }

    private List<Path> hostile() {
        return List.of(dir.resolve("a-directory-" + Math.abs(dir.hashCode())), fifo, Path.of("/dev/zero"), huge);
    }

    private CliRun timed(Supplier<CliRun> run) {
        long start = System.nanoTime();
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(20), run::get, "hung on a file");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(BUDGET) < 0, "took " + took);
        return r;
    }

    private void assertRefusedNaming(Map<String, String> env, String variable, Path file) throws IOException {
        String line = dm.assertRefused(timed(() -> DatamoverRun.run(env)), 2, variable, file.toString());
        assertFalse(line.contains("null"), line);
    }

    @Test
    void theCredentialsFile() throws IOException {
        Files.createDirectories(hostile().get(0));
        for (Path bad : hostile()) {
            Map<String, String> env = dm.env("b", "b3");
            env.put("KUBEVIRT_DM_CREDENTIALS_FILE", bad.toString());
            assertRefusedNaming(env, "KUBEVIRT_DM_CREDENTIALS_FILE", bad);
        }
        Map<String, String> env = dm.env("b", "b3");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", malformed.toString());
        assertRefusedNaming(env, "KUBEVIRT_DM_CREDENTIALS_FILE", malformed);
        assertTrue(dm.assertRefused(DatamoverRun.run(env), 2).contains("not a valid AWS profile (INI) file"));
    }

    @Test
    void theConfigTokenKeyAndCaFiles() throws IOException {
        Files.createDirectories(hostile().get(0));
        for (Path bad : hostile()) {
            for (String variable : List.of("AWS_CONFIG_FILE", "AWS_CA_BUNDLE",
                    "KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE")) {
                Map<String, String> env = dm.env("b", "b3");
                env.put(variable, bad.toString());
                assertRefusedNaming(env, variable, bad);
            }
            Map<String, String> env = dm.env("b", "b3");
            env.put("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r");
            env.put("AWS_WEB_IDENTITY_TOKEN_FILE", bad.toString());
            assertRefusedNaming(env, "AWS_WEB_IDENTITY_TOKEN_FILE", bad);
            env = dm.env("b", "b3");
            Files.writeString(dm.credentials, "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
                    + "web_identity_token_file = " + bad + "\n");
            assertRefusedNaming(env, "KUBEVIRT_DM_CREDENTIALS_FILE " + dm.credentials
                    + " [default] web_identity_token_file", bad);
        }
        Map<String, String> env = dm.env("b", "b3");
        env.put("AWS_CONFIG_FILE", malformed.toString());
        assertRefusedNaming(env, "AWS_CONFIG_FILE", malformed);
    }

    @Test
    void theSharedCredentialsFileOfRestore() throws IOException {
        Files.createDirectories(hostile().get(0));
        List<Path> files = new java.util.ArrayList<>(hostile());
        files.add(malformed);
        for (Path bad : files) {
            Map<String, String> env = new HashMap<>();
            env.put("AWS_ENDPOINT_URL", backups.server.endpoint().toString());
            env.put("AWS_SHARED_CREDENTIALS_FILE", bad.toString());
            Path target = dir.resolve("out.raw");
            CliRun r = timed(() -> CliRun.cli(env, "restore", "--output", target.toString(), "s3://b/k.qcow2"));
            assertEquals(2, r.exit(), r.err());
            List<String> errors = r.lines("error: ");
            assertEquals(1, errors.size(), r.err());
            assertTrue(errors.get(0).contains("AWS_SHARED_CREDENTIALS_FILE: " + bad), errors.get(0));
            assertFalse(Files.exists(target));
        }
    }
}
