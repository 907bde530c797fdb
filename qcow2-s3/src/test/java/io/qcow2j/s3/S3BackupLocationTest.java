package io.qcow2j.s3;

import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.zero;
import static io.qcow2j.oadp.ControllerBackup.NS;
import static io.qcow2j.oadp.ControllerBackup.VM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.oadp.ControllerBackup;
import io.qcow2j.oadp.InvalidBackupLayoutException;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import io.qcow2j.oadp.VmPlan;
import io.qcow2j.oadp.VmRestore;
import io.qcow2j.oadp.VmRestorePlanner;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * qcow2-oadp's backup location over a bucket ({@link ObjectStore#bucket}) of a real S3 server: keys
 * under the prefix, absence, errors, a restore; and a store over a client the caller built.
 */
class S3BackupLocationTest {
    private static S3ProxyServer server;
    private String bucket;
    private ObjectStore store;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.shared();
    }

    @BeforeEach
    void connect() {
        bucket = server.createBucket();
        store = ObjectStore.create(Fixtures.quick(server, server.endpoint()).build());
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void keysAreJoinedToThePrefixAsTheControllerJoinsThem() {
        assertEquals("s3://b/p-kubevirt-datamover/checkpoints/ns/vm/index.json",
                new ObjectStoreBackupLocation(store.bucket("b"), "p-kubevirt-datamover").nameOf("checkpoints/ns/vm/index.json"));
        assertEquals("s3://b/p/k", new ObjectStoreBackupLocation(store.bucket("b"), "p/").nameOf("/k"));
        assertEquals("s3://b/k", new ObjectStoreBackupLocation(store.bucket("b"), "").nameOf("k"));
        assertEquals("s3://b", new ObjectStoreBackupLocation(store.bucket("b"), null).name());
        assertThrows(IllegalArgumentException.class, () -> new ObjectStoreBackupLocation(store.bucket("a/b"), "p"));
    }

    @Test
    void readOpenAndSizeSeeTheObjectsUnderThePrefix() throws Exception {
        server.putObject(bucket, "pre/manifests/x.json", "{}".getBytes(StandardCharsets.UTF_8));
        ObjectStoreBackupLocation loc = new ObjectStoreBackupLocation(store.bucket(bucket), "pre");
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), loc.read("manifests/x.json", 10).orElseThrow());
        assertEquals(2, loc.size("manifests/x.json").orElseThrow());
        try (ByteSource s = loc.open("manifests/x.json").orElseThrow()) {
            assertEquals("s3://" + bucket + "/pre/manifests/x.json", s.name());
        }
        assertTrue(loc.read("manifests/y.json", 10).isEmpty());
        assertTrue(loc.open("manifests/y.json").isEmpty());
        assertTrue(loc.size("manifests/y.json").isEmpty());
        InvalidBackupLayoutException big = assertThrows(InvalidBackupLayoutException.class,
                () -> loc.read("manifests/x.json", 1));
        assertTrue(big.getMessage().startsWith("s3://" + bucket + "/pre/manifests/x.json: "), big.getMessage());
    }

    @Test
    void aMissingBucketIsAnErrorNotAnAbsentObject() {
        ObjectStoreBackupLocation loc = new ObjectStoreBackupLocation(store.bucket(bucket + "-gone"), "pre");
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> loc.read("k.json", 10));
        assertEquals("NoSuchBucket", e.errorCode());
        assertTrue(e.getMessage().contains(bucket + "-gone"), e.getMessage());
    }

    @Test
    void wrongCredentialsAreAccessDenied() {
        try (ObjectStore bad = ObjectStore.create(Fixtures.quick(server, server.endpoint())
                .staticCredentials(S3ProxyServer.ACCESS_KEY, "wrong", null).build())) {
            ObjectStoreBackupLocation loc = new ObjectStoreBackupLocation(bad.bucket(bucket), "pre");
            assertThrows(ObjectAccessDeniedException.class, () -> loc.open("k"));
        }
    }

    @Test
    void aStoreOverTheCallersClientReadsAndLeavesTheClientOpen() throws Exception {
        server.putObject(bucket, "pre/m/k.json", "{}".getBytes(StandardCharsets.UTF_8));
        try (S3Client client = S3Client.builder()
                .httpClient(Apache5HttpClient.builder().build())
                .endpointOverride(server.endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                // as ObjectStore.create configures its own client: S3-compatible stores (S3Proxy
                // here) refuse the SDK's default flexible checksums
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build()) {
            try (ObjectStore own = ObjectStore.of(client, S3Settings.builder().build())) {
                assertEquals(server.endpoint(), own.endpoint().orElseThrow());
                ObjectStoreBackupLocation loc = new ObjectStoreBackupLocation(own.bucket(bucket), "pre");
                assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), loc.read("m/k.json", 10).orElseThrow());
                assertTrue(loc.read("m/absent.json", 10).isEmpty());
                assertEquals(List.of("k.json"), loc.list("m"));
            }
            // the store did not close the caller's client
            assertEquals(2, client.headObject(b -> b.bucket(bucket).key("pre/m/k.json")).contentLength());
        }
    }

    @Test
    @RequiresQemu
    void aVmRestoresFromTheBucketAsFromADirectory(@TempDir Path dir) throws Exception {
        long m = 1 << 20;
        ControllerBackup.DiskChain disk = new ControllerBackup.DiskChain(dir, "rootdisk", 8 * m, 65536);
        disk.full(data(0, 3 * m));
        disk.incremental(data(m, m), zero(2 * m, 65536));
        ControllerBackup b = new ControllerBackup();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", disk.images().get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", disk.images().get(1)));
        b.backup("b2", "cp1", "cp2");
        String prefix = "velero-kubevirt-datamover";
        b.metadata().forEach((k, v) -> server.putObject(bucket, prefix + "/" + k, v));
        for (Map.Entry<String, Path> e : b.images.entrySet()) {
            server.putObject(bucket, prefix + "/" + e.getKey(), Files.readAllBytes(e.getValue()));
        }
        Path target = dir.resolve("disk.raw");
        VmPlan plan = VmRestorePlanner.planVolume(new ObjectStoreBackupLocation(store.bucket(bucket), prefix), "b2", NS, VM,
                "rootdisk", target);
        try (VmRestore r = VmRestore.prepare(plan, RestoreOptions.builder().build())) {
            assertEquals(List.of("s3://" + bucket + "/" + prefix + "/" + b.key("cp1", "rootdisk"),
                    "s3://" + bucket + "/" + prefix + "/" + b.key("cp2", "rootdisk")), r.disks().get(0).restore().images());
            r.run(RestoreOptions.builder().build());
        }
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.oracleChained(oracle, disk.images(), dir.resolve("scratch"));
        assertArrayEquals(Files.readAllBytes(oracle), Files.readAllBytes(target));
        assertFalse(store.statistics().bytesFetched() >= Files.size(disk.images().get(0))
                + Files.size(disk.images().get(1)), "not every byte of the images is fetched");
    }
}
