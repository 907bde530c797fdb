package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.restore.oadp.ControllerBackup;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One test's {@code datamover-restore} setting: a fresh layout of the shared backups, a target
 * directory, a credentials file, the controller's environment, and the assertions of its contract.
 */
final class DatamoverRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    final S3Backups backups;
    final Path dir;
    ControllerBackup layout;
    Path targetDir;
    Path target;
    final Path credentials;

    DatamoverRun(S3Backups backups, Path dir) throws IOException {
        this.backups = backups;
        this.dir = dir;
        layout = backups.layout();
        targetDir = Files.createDirectories(dir.resolve("restore-data"));
        target = targetDir.resolve("disk.img");
        credentials = Files.writeString(dir.resolve("cloud"), "[default]\naws_access_key_id=" + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key=" + S3ProxyServer.SECRET_KEY + "\n");
    }

    /** The downloader's environment as the controller sets it: every shared variable, many empty. */
    Map<String, String> env(String bucket, String backup, String volume, URI endpoint) {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_") && !k.startsWith("KUBEVIRT_DM_")) {
                env.put(k, v);
            }
        });
        env.put("KUBEVIRT_DM_BSL_PROVIDER", "aws");
        env.put("KUBEVIRT_DM_BSL_BUCKET", bucket);
        env.put("KUBEVIRT_DM_BSL_PREFIX", S3Backups.PREFIX);
        env.put("KUBEVIRT_DM_BSL_REGION", "us-east-1");
        env.put("KUBEVIRT_DM_BSL_S3_URL", endpoint.toString());
        env.put("KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE", "true");
        env.put("KUBEVIRT_DM_BSL_INSECURE_SKIP_TLS_VERIFY", "false");
        env.put("KUBEVIRT_DM_BSL_CA_CERT", "");
        env.put("KUBEVIRT_DM_BSL_SERVICE_ACCOUNT", "");
        env.put("KUBEVIRT_DM_BSL_KMS_KEY_NAME", "");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", credentials.toString());
        env.put("KUBEVIRT_DM_VM_NAME", layout.vm);
        env.put("KUBEVIRT_DM_VM_NAMESPACE", layout.ns);
        env.put("KUBEVIRT_DM_VELERO_BACKUP_NAME", backup);
        env.put("KUBEVIRT_DM_TARGET_VOLUME", volume);
        env.put("KUBEVIRT_DM_TARGET_PATH", target.toString());
        env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "false");
        env.put("KUBEVIRT_DM_SCRATCH_PATH", "/scratch");
        env.put("KUBEVIRT_DM_DATADOWNLOAD_NAME", "dd-1");
        env.put("KUBEVIRT_DM_DATADOWNLOAD_UID", "00000000-0000-0000-0000-000000000001");
        env.put("KUBEVIRT_DM_SUMMARY", "json"); // the assertions read the JSON summary or error object
        return env;
    }

    /** The environment of {@code restore} and {@code restore-vm} with S3Proxy's keys and {@code endpoint}. */
    static Map<String, String> awsEnv(URI endpoint) {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_")) {
                env.put(k, v);
            }
        });
        env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", endpoint.toString());
        return env;
    }

    Map<String, String> env(String bucket, String backup) {
        return env(bucket, backup, "rootdisk", backups.server.endpoint());
    }

    static CliRun run(Map<String, String> env) {
        return CliRun.cli(env, "datamover-restore");
    }

    JsonNode assertRestored(CliRun r, String backup, String volume) throws IOException {
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.lines("error:").isEmpty(), r.err());
        assertEquals(-1, Files.mismatch(backups.oracle(backup, volume), target), "not the downloader's result");
        assertNoStagingFile();
        JsonNode summary = JSON.readTree(r.out());
        assertEquals("ok", summary.path("status").asText());
        return summary;
    }

    void assertNoStagingFile() throws IOException {
        try (Stream<Path> s = Files.list(targetDir)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().contains(".tmp-")).toList();
            assertEquals(List.of(), left, "staging file left behind");
        }
    }

    /** The error contract, and nothing written: no target, no staging file. */
    String assertRefused(CliRun r, int exit, String... fragments) throws IOException {
        assertEquals(exit, r.exit(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
        List<String> errors = r.lines("error: ");
        assertEquals(1, errors.size(), r.err());
        for (String f : fragments) {
            assertTrue(errors.get(0).contains(f), () -> "error line lacks \"" + f + "\": " + errors.get(0));
        }
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), r.err());
        assertEquals(exit, JSON.readTree(r.out()).path("exit").asInt(), "JSON error object on stdout: " + r.out());
        assertFalse(Files.exists(target), "target created although refused");
        assertNoStagingFile();
        return errors.get(0);
    }
}
