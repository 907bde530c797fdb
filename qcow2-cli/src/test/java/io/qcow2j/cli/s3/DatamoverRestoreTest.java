package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.oadp.ControllerBackup;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datamover-restore} against a real S3 server, configured as the controller's pod builder
 * configures its downloader, compared with the downloader's own workflow; then every way the backup
 * or the configuration can be wrong: each a clean error (exit code per the contract, one
 * {@code error:} line naming the object, no stack trace) with the target untouched (no file at the
 * path, no staging file beside it).
 */
@RequiresQemu
class DatamoverRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    ControllerBackup layout;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        layout = dm.layout;
    }

    @AfterEach
    void closeProxy() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
    }

    FaultProxy proxy;

    private Map<String, String> env(String bucket, String backup, String volume, URI endpoint) {
        return dm.env(bucket, backup, volume, endpoint);
    }

    private Map<String, String> env(String bucket, String backup) {
        return dm.env(bucket, backup);
    }

    private static CliRun run(Map<String, String> env) {
        return DatamoverRun.run(env);
    }

    private JsonNode assertRestored(CliRun r, String backup, String volume) throws IOException {
        return dm.assertRestored(r, backup, volume);
    }

    private String assertRefused(CliRun r, int exit, String... fragments) throws IOException {
        return dm.assertRefused(r, exit, fragments);
    }

    // ---- restores ----

    @Test
    void restoresTheVolumeAsTheDownloaderDoesWithoutFetchingWholeImages() throws IOException {
        String bucket = backups.upload(layout);
        JsonNode s = assertRestored(run(env(bucket, "b3")), "b3", "rootdisk");
        assertEquals("controller", s.path("layout").asText());
        assertEquals("rootdisk", s.path("volume").asText());
        assertEquals("rootdisk-pvc", s.path("pvc").asText());
        assertEquals("new-file", s.path("target-kind").asText());
        assertEquals(List.of("cp1", "cp2", "cp3"), JSON.convertValue(s.path("checkpoints"), List.class));
        assertTrue(s.path("requests").asLong() > 0, s.toString());
        assertTrue(s.path("bytes-fetched").asLong() < s.path("image-bytes").asLong(), s.toString());
        assertEquals("dd-1", s.path("datadownload").path("name").asText());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dm.target)));
        // every field docs/cli-contract.md names
        for (String f : List.of("status", "namespace", "vm", "backup", "volume", "pvc", "layout", "target",
                "target-kind", "virtual-size", "bytes-written", "data-bytes", "zero-bytes-skipped", "zero-bytes-written",
                "seconds", "validation-seconds", "restore-seconds", "mb-per-second", "digest", "workers", "zero-offload",
                "image-bytes", "bytes-fetched", "requests", "retries", "checkpoints", "images", "datadownload", "notes",
                "warnings")) {
            assertTrue(s.has(f), "summary lacks " + f + ": " + s);
        }
        assertTrue(s.path("notes").toString().contains("/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img"),
                "the stored backing names are reported: " + s);
    }

    @Test
    void aFullBackupResetRestoresTheNewChainOnly() throws IOException {
        String bucket = backups.upload(layout);
        assertRestored(run(env(bucket, "b5", "datadisk", backups.server.endpoint())), "b5", "datadisk");
    }

    @Test
    void anExistingFileIsReplacedWhole() throws IOException {
        Files.write(dm.target, new byte[100 << 20]); // larger than the disk: nothing of it may remain
        String bucket = backups.upload(layout);
        JsonNode s = assertRestored(run(env(bucket, "b5")), "b5", "rootdisk");
        assertEquals("existing-file", s.path("target-kind").asText());
        assertEquals(Files.size(backups.oracle("b5", "rootdisk")), Files.size(dm.target));
    }

    @Test
    void aMissingTargetDirectoryIsMadeAndAFailureRemovesIt() throws IOException {
        String bucket = backups.upload(layout);
        dm.target = dir.resolve("new/dirs/disk.img");
        dm.targetDir = dm.target.getParent();
        Map<String, String> env = env(bucket, "b3");
        assertEquals(0, run(env).exit());
        assertEquals(-1, Files.mismatch(backups.oracle("b3", "rootdisk"), dm.target));
        // fails after planning, when the images are opened: the directories were made by then
        layout.file("cp3", "rootdisk").put("size", 1);
        env.put("KUBEVIRT_DM_BSL_BUCKET", backups.upload(layout));
        dm.target = dir.resolve("other/dirs/disk.img");
        env.put("KUBEVIRT_DM_TARGET_PATH", dm.target.toString());
        assertEquals(3, run(env).exit());
        assertFalse(Files.exists(dir.resolve("other")), "a failed restore leaves no directory it made");
    }

    @Test
    void progressEventsAndTheTerminationMessage() throws IOException {
        String bucket = backups.upload(layout);
        Map<String, String> env = env(bucket, "b3");
        env.put("KUBEVIRT_DM_PROGRESS", "json");
        CliRun r = run(env);
        assertEquals(0, r.exit(), r.err());
        List<JsonNode> events = r.events();
        assertEquals("start", events.get(0).path("event").asText());
        assertEquals("rootdisk", events.get(0).path("volume").asText());
        JsonNode done = events.get(events.size() - 1);
        assertEquals("done", done.path("event").asText());
        assertTrue(done.path("bytes-fetched").asLong() > 0 && done.path("requests").asLong() > 0, done.toString());
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("progress")
                && e.has("bytes-fetched") && e.has("requests")), events.toString());

        Path log = Files.writeString(dir.resolve("termination-log"), "");
        env.put("QCOW2J_TERMINATION_LOG", log.toString());
        env.put("KUBEVIRT_DM_VELERO_BACKUP_NAME", "b9");
        Files.delete(dm.target);
        CliRun failed = run(env);
        assertRefused(failed, 3, "b9");
        String message = Files.readString(log);
        assertTrue(message.contains("no manifest for VM vm-ns/vm1 in backup b9") && message.endsWith("\n")
                && message.strip().lines().count() == 1, message);
        assertEquals("error", failed.events().get(failed.events().size() - 1).path("event").asText());
    }

    // ---- configuration: exit 2 naming the variable ----

    @Test
    void missingVariablesAreNamedInTheDownloadersOrder() throws IOException {
        Map<String, String> env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_BUCKET", "");
        env.remove("KUBEVIRT_DM_TARGET_VOLUME");
        assertRefused(run(env), 2, "KUBEVIRT_DM_BSL_BUCKET, KUBEVIRT_DM_TARGET_VOLUME are required");
    }

    @Test
    void badValuesAreUsageErrorsNamingTheVariable() throws IOException {
        Map<String, String> env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_INSECURE_SKIP_TLS_VERIFY", "yes");
        assertRefused(run(env), 2, "KUBEVIRT_DM_BSL_INSECURE_SKIP_TLS_VERIFY=yes", "not a boolean");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_PROVIDER", "gcp"); // read as Google's now: the AWS credentials file is refused
        assertRefused(run(env), 2, "KUBEVIRT_DM_CREDENTIALS_FILE",
                "not a service account or external account credentials file");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_S3_URL", "minio:9000");
        assertRefused(run(env), 2, "KUBEVIRT_DM_BSL_S3_URL", "http://");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_TARGET_PATH", "restore-data/disk.raw");
        assertRefused(run(env), 2, "KUBEVIRT_DM_TARGET_PATH must be an absolute path");
        env.put("KUBEVIRT_DM_TARGET_PATH", "/disk.raw");
        assertRefused(run(env), 2, "KUBEVIRT_DM_TARGET_PATH must not resolve to the filesystem root");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_CA_CERT", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        assertRefused(run(env), 2, "KUBEVIRT_DM_BSL_CA_CERT");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE", Files.writeString(dir.resolve("key"), "short\n")
                .toString());
        assertRefused(run(env), 2, "KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE", "exactly 32 bytes, got 5");
        env = env("b", "b3");
        env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "true");
        env.remove("KUBEVIRT_DM_TARGET_PATH");
        assertRefused(run(env), 2, "KUBEVIRT_DM_TARGET_PATH is required");
    }

    @Test
    void anSseCKeyIsSentWithEveryRequest() throws IOException {
        String bucket = backups.upload(layout);
        proxy = FaultProxy.start(backups.server.endpoint());
        Map<String, String> env = env(bucket, "b3", "rootdisk", proxy.endpoint());
        byte[] key = new byte[32];
        key[0] = 1;
        byte[] withNewline = java.util.Arrays.copyOf(key, 33);
        withNewline[32] = '\n';
        env.put("KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE", Files.write(dir.resolve("sse-c"), withNewline).toString());
        // S3Proxy implements no SSE-C: it refuses the headers, which proves they were sent
        assertRefused(run(env), 3, "501");
        assertTrue(proxy.requests().stream().allMatch(q ->
                "AES256".equals(q.header("x-amz-server-side-encryption-customer-algorithm"))), "SSE-C headers");
    }

    // ---- the backup: exit 3, target untouched ----

    @Test
    void wrongCredentialsNameTheObject() throws IOException {
        String bucket = backups.upload(layout);
        Files.writeString(dm.credentials, "[default]\naws_access_key_id=" + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key=wrong\n");
        assertRefused(run(env(bucket, "b3")), 3, "s3://" + bucket + "/" + S3Backups.PREFIX + "/manifests/b3/",
                "secret key does not match");
    }

    @Test
    void aProfileOtherThanDefault() throws IOException {
        String bucket = backups.upload(layout);
        Files.writeString(dm.credentials, "[default]\naws_access_key_id=nobody\naws_secret_access_key=wrong\n[velero]\n"
                + "aws_access_key_id=" + S3ProxyServer.ACCESS_KEY + "\naws_secret_access_key=" + S3ProxyServer.SECRET_KEY
                + "\n");
        Map<String, String> env = env(bucket, "b3");
        env.put("KUBEVIRT_DM_BSL_PROFILE", "velero");
        assertRestored(run(env), "b3", "rootdisk");
    }

    @Test
    void aMissingBucketIsNamed() throws IOException {
        assertRefused(run(env("no-such-bucket", "b3")), 3, "bucket 'no-such-bucket' does not exist");
    }

    @Test
    void aMissingManifestIsNamed() throws IOException {
        String bucket = backups.upload(layout);
        assertRefused(run(env(bucket, "b4")), 3, "manifests/b4/vm-ns-vm1.json", "not found");
    }

    @Test
    void aMissingImageObjectIsNamed() throws IOException {
        String bucket = backups.upload(layout);
        backups.server.client().deleteObject(d -> d.bucket(bucket).key(S3Backups.PREFIX + "/"
                + layout.key("cp2", "rootdisk")));
        assertRefused(run(env(bucket, "b3")), 3, layout.key("cp2", "rootdisk"), "checkpoint cp2", "not found");
    }

    @Test
    void aSizeMismatchIsRefused() throws IOException {
        layout.file("cp3", "rootdisk").put("size", layout.file("cp3", "rootdisk").path("size").asLong() + 512);
        assertRefused(run(env(backups.upload(layout), "b3")), 3, layout.key("cp3", "rootdisk"), "size mismatch");
    }

    @Test
    void aTruncatedObjectIsRefused() throws IOException {
        Path cut = copy(backups.chain("b3", "rootdisk").get(1));
        try (ImagePoker p = ImagePoker.open(cut)) {
            p.truncate(p.fileSize() - 65536);
        }
        replace("cp2", cut);
        assertRefused(run(env(backups.upload(layout), "b3")), 3, layout.key("cp2", "rootdisk"), "checkpoint cp2");
    }

    @Test
    void anObjectThatIsNotQcow2IsRefused() throws IOException {
        replace("cp1", Files.write(dir.resolve("raw.img"), new byte[1 << 20]));
        assertRefused(run(env(backups.upload(layout), "b3")), 3, layout.key("cp1", "rootdisk"), "checkpoint cp1");
    }

    @Test
    void aCorruptL2EntryIsRefused() throws IOException {
        Path bad = copy(backups.chain("b3", "rootdisk").get(2));
        try (ImagePoker p = ImagePoker.open(bad)) {
            p.orLong(p.findL2Entry("a data cluster", ImagePoker.L2Ref::data).pos(), 1L << 3); // a reserved bit
        }
        replace("cp3", bad);
        assertRefused(run(env(backups.upload(layout), "b3")), 3, layout.key("cp3", "rootdisk"), "checkpoint cp3",
                "L2");
    }

    @Test
    void anObjectPathOutsideTheVmIsNeverRead() throws IOException {
        String bucket = backups.upload(layout);
        String elsewhere = "checkpoints/other-ns/vm1/cp2/vmb-cp2-rootdisk.qcow2";
        layout.file("cp2", "rootdisk").put("objectPath", elsewhere);
        backups.upload(bucket, layout);
        backups.server.putObject(bucket, S3Backups.PREFIX + "/" + elsewhere,
                Files.readAllBytes(backups.chain("b3", "rootdisk").get(1)));
        proxy = FaultProxy.start(backups.server.endpoint());
        assertRefused(run(env(bucket, "b3", "rootdisk", proxy.endpoint())), 3, "checkpoint cp2", elsewhere,
                "checkpoint prefix");
        assertTrue(proxy.requests().stream().noneMatch(q -> q.target().contains("other-ns")), "read outside the VM");
    }

    @Test
    void aTargetThatCannotTakeTheDiskIsExit5() throws IOException {
        String bucket = backups.upload(layout);
        Map<String, String> env = env(bucket, "b3");
        env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "true");
        Files.writeString(dm.target, "a file");
        CliRun r = run(env);
        assertEquals(5, r.exit(), r.err());
        assertTrue(r.lines("error: ").get(0).contains("is not a block device"), r.err());
        assertEquals("a file", Files.readString(dm.target));
        Files.delete(dm.target);
        Files.createDirectory(dm.target);
        env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "false");
        assertEquals(5, run(env).exit());
    }

    private Path copy(Path image) throws IOException {
        Path c = dir.resolve("copy-" + image.getFileName());
        Files.copy(image, c);
        return c;
    }

    /** Uploads {@code image} as rootdisk's object of checkpoint {@code id}, with its size in the index. */
    private void replace(String id, Path image) throws IOException {
        layout.images.put(layout.key(id, "rootdisk"), image);
        layout.file(id, "rootdisk").put("size", Files.size(image));
    }
}
