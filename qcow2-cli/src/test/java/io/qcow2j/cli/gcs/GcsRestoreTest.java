package io.qcow2j.cli.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.remote.BackupImages;
import io.qcow2j.cli.remote.DatamoverTarget;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.gcs.testing.GcsEmulatorServer;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import io.qcow2j.restore.compose.Composition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datamover-restore} with {@code KUBEVIRT_DM_BSL_PROVIDER=gcp}, {@code restore gs://…},
 * {@code restore-vm --gcs-bucket} and {@code datamover-verify} against firebase-tools' Cloud Storage
 * emulator on loopback ({@code STORAGE_EMULATOR_HOST}), compared with the downloader's workflow
 * (download, chained {@code rebase -u}, {@code convert}); then the ways the store or the
 * configuration can be wrong: one {@code error:} line, the exit code of the contract, the target
 * untouched.
 */
@RequiresQemu
class GcsRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static BackupImages images;
    private static GcsEmulatorServer server;

    @TempDir
    Path dir;
    DatamoverTarget dm;
    FaultProxy proxy;

    /** Per test, not per class: without the emulator each test is reported skipped, not the class silently. */
    @BeforeEach
    void setUp() throws IOException {
        server = GcsEmulatorServer.shared();
        images = BackupImages.shared();
        dm = new DatamoverTarget(images, dir);
    }

    @AfterEach
    void closeProxy() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
    }

    private String upload() throws IOException {
        String bucket = server.createBucket();
        BackupImages.upload(dm.layout, (key, content) -> server.put(bucket, key, content));
        return bucket;
    }

    /** The controller's environment for a gcp BSL served at {@code endpoint}; no credentials file. */
    private Map<String, String> env(String bucket, String backup, String volume, URI endpoint) {
        Map<String, String> env = dm.baseEnv("gcp", bucket, backup, volume);
        env.keySet().removeIf(k -> k.startsWith("GOOGLE_") || k.equals("STORAGE_EMULATOR_HOST"));
        env.put("KUBEVIRT_DM_BSL_REGION", "");
        env.put("KUBEVIRT_DM_BSL_S3_URL", "");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
        env.put("STORAGE_EMULATOR_HOST", GcsEmulatorServer.emulatorHost(endpoint));
        return env;
    }

    private Map<String, String> env(String bucket, String backup) {
        return env(bucket, backup, "rootdisk", server.endpoint());
    }

    private URI relayed() throws IOException {
        proxy = FaultProxy.start(server.endpoint());
        return proxy.endpoint();
    }

    // ---- restores ----

    @Test
    void restoresBothDisksAsTheDownloaderDoesFetchingOnlyWinningClusters() throws IOException {
        String bucket = upload();
        URI endpoint = relayed();
        CliRun r = DatamoverTarget.run(env(bucket, "b3", "rootdisk", endpoint));
        JsonNode s = dm.assertRestored(r, "b3", "rootdisk");
        assertEquals("controller", s.path("layout").asText());
        assertEquals("rootdisk-pvc", s.path("pvc").asText());
        assertTrue(r.err().contains("no credentials for the emulator"), r.err());
        // what crossed the wire (bodies and headers): the winning clusters, the metadata, little else
        List<Path> chain = images.chain("b3", "rootdisk");
        long winning;
        try (Chain c = Chain.open(chain, ChainOptions.defaults())) {
            winning = new Composition(c.images()).dataBytes();
        }
        long metadata = 0;
        for (Path img : chain) {
            try (ImagePoker p = ImagePoker.open(img)) {
                // header cluster, L1, refcount table, every L2 table
                metadata += p.clusterSize() * (2 + p.l2Tables().size()) + 8L * p.l1Size();
            }
        }
        for (byte[] json : dm.layout.metadata().values()) {
            metadata += json.length;
        }
        long requests = s.path("requests").asLong();
        long bound = (long) (1.10 * winning) + metadata + requests * 1024;
        long relayed = proxy.bytesToClient();
        assertTrue(relayed >= s.path("bytes-fetched").asLong() && relayed <= bound, "relayed " + relayed
                + " bytes; winning data " + winning + ", metadata " + metadata + ", " + requests + " requests: bound "
                + bound + "; " + s);
        assertTrue(winning < s.path("image-bytes").asLong(), s.toString());
        // every media GET pinned to the generation its metadata request saw, and ranged
        List<FaultProxy.Request> gets = proxy.requests().stream().filter(q -> q.target().contains("alt=media"))
                .toList();
        assertTrue(!gets.isEmpty() && gets.stream().allMatch(q -> q.target().contains("ifGenerationMatch=")
                && q.header("Range") != null), "unpinned or unranged GET");
        Files.delete(dm.target);
        dm.assertRestored(DatamoverTarget.run(env(bucket, "b5", "datadisk", server.endpoint())), "b5", "datadisk");
    }

    @Test
    void connectionsCutMidBodyAreRetriedAndTheDiskIsStillRight() throws IOException {
        String bucket = upload();
        URI endpoint = relayed();
        proxy.cutEveryKthConnection(2, 40_000, FaultProxy.Cut.RESET);
        JsonNode s = dm.assertRestored(DatamoverTarget.run(env(bucket, "b3", "rootdisk", endpoint)), "b3",
                "rootdisk");
        assertTrue(s.path("retries").asLong() > 0, s.toString());
    }

    @Test
    void anObjectReplacedMidRestoreStopsTheRestore() throws IOException {
        String bucket = upload();
        String key = BackupImages.PREFIX + "/" + dm.layout.key("cp1", "rootdisk");
        byte[] other = Files.readAllBytes(images.chain("b5", "rootdisk").get(0));
        byte[] replaced = Arrays.copyOf(other, (int) Files.size(images.chain("b3", "rootdisk").get(0)));
        URI endpoint = relayed();
        // metadata reads are at most 256 KiB (the opening read-ahead, L2 tables): a larger GET is data
        String name = key.substring(key.lastIndexOf('/') + 1);
        proxy.onceBefore(q -> q.target().contains(name) && q.target().contains("alt=media")
                && DatamoverTarget.rangeLength(q.header("Range")) > 256 << 10, () -> {
                    try {
                        server.put(bucket, key, replaced);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        CliRun r = DatamoverTarget.run(env(bucket, "b3", "rootdisk", endpoint));
        dm.assertRefused(r, 4, "gs://" + bucket + "/" + key, "changed since it was opened");
        assertEquals("incomplete", JSON.readTree(r.out()).path("error").path("kind").asText(), r.out());
    }

    @Test
    void restoreOfGsUris() throws IOException {
        dm.assertRestoresObjects(emulatorEnv(), "gs", upload());
    }

    @Test
    void restoreVmAndVerifyFromABucket() throws IOException {
        String bucket = upload();
        dm.assertRestoresVm(emulatorEnv(), "--gcs-bucket", bucket);

        // verifying lists the checkpoints: the bucket listing works
        CliRun v = CliRun.cli(env(bucket, "b3"), "datamover-verify", "--json");
        assertEquals(0, v.exit(), v.err());
        JsonNode report = JSON.readTree(v.out());
        assertEquals(1, report.path("checked").asInt(), "the volume of the environment only: " + report);
        assertTrue(report.path("requests").asLong() > 0, report.toString());
        CliRun all = CliRun.cli(emulatorEnv(), "verify-backup", "--json", "--gcs-bucket", bucket, "--prefix",
                BackupImages.PREFIX);
        assertEquals(0, all.exit(), all.err());
    }

    private Map<String, String> emulatorEnv() {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_") && !k.startsWith("AZURE_") && !k.startsWith("GOOGLE_")) {
                env.put(k, v);
            }
        });
        env.put("STORAGE_EMULATOR_HOST", GcsEmulatorServer.emulatorHost(server.endpoint()));
        return env;
    }

    // ---- refusals ----

    @Test
    void credentialsThatGetNoTokenAreExit3NamingTheObject() throws IOException {
        String bucket = upload();
        // a well-formed service account key whose token endpoint (the emulator, which has none) refuses
        Map<String, String> env = env(bucket, "b3");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", GcsEmulatorServer.serviceAccountKey(dir.resolve("key.json"),
                server.endpoint() + "/token").toString());
        dm.assertRefused(DatamoverTarget.run(env), 3, "gs://" + bucket + "/" + BackupImages.PREFIX + "/manifests/b3/",
                "no usable credentials");
    }

    @Test
    void aMissingBucketOrObjectIsNamed() throws IOException {
        dm.assertRefused(DatamoverTarget.run(env("no-such-bucket", "b3")), 3, "gs://no-such-bucket/");
        String bucket = upload();
        String key = BackupImages.PREFIX + "/" + dm.layout.key("cp2", "rootdisk");
        server.delete(bucket, key);
        dm.assertRefused(DatamoverTarget.run(env(bucket, "b3")), 3, dm.layout.key("cp2", "rootdisk"),
                "checkpoint cp2", "not found");
    }

    @Test
    void aSizeMismatchIsRefused() throws IOException {
        dm.layout.file("cp3", "rootdisk").put("size", dm.layout.file("cp3", "rootdisk").path("size").asLong() + 512);
        dm.assertRefused(DatamoverTarget.run(env(upload(), "b3")), 3, dm.layout.key("cp3", "rootdisk"),
                "size mismatch");
    }

    @Test
    void missingOrMalformedGcpSettingsNameTheVariable() throws Exception {
        refusedWith("KUBEVIRT_DM_BSL_SERVICE_ACCOUNT", "not an account", "KUBEVIRT_DM_BSL_SERVICE_ACCOUNT=not an"
                + " account", "not a service account");
        refusedWith("KUBEVIRT_DM_BSL_SERVICE_ACCOUNT", "sa@p.iam.gserviceaccount.com", "impersonating",
                "needs credentials");
        refusedWith("STORAGE_EMULATOR_HOST", "http://127.0.0.1:1/some/path", "STORAGE_EMULATOR_HOST=");
        Path aws = Files.writeString(dir.resolve("cloud"), "[default]\naws_access_key_id = x\n");
        refusedWith("KUBEVIRT_DM_CREDENTIALS_FILE", aws.toString(), "KUBEVIRT_DM_CREDENTIALS_FILE: " + aws,
                "not a service account or external account credentials file");
        refusedWith("KUBEVIRT_DM_CREDENTIALS_FILE", dir.toString(), "KUBEVIRT_DM_CREDENTIALS_FILE: " + dir,
                "not a regular file");
        Map<String, String> env = emulatorEnv();
        env.put("GOOGLE_APPLICATION_CREDENTIALS", dir.resolve("missing.json").toString());
        dm.assertRefused(CliRun.cli(env, "restore", "--json", "--output", dm.target.toString(), "gs://b/o"), 2,
                "GOOGLE_APPLICATION_CREDENTIALS: " + dir.resolve("missing.json"), "no such file");
        dm.assertRefused(CliRun.cli(emulatorEnv(), "restore", "--json", "--output", dm.target.toString(), "gs://b"),
                2, "gs://b", "names no object");
    }

    /** The controller's gcp environment with {@code variable} set to {@code value} (null: unset) is refused. */
    private void refusedWith(String variable, String value, String... fragments) throws IOException {
        dm.assertRefusedWith(env("b", "b3"), variable, value, fragments);
    }
}
