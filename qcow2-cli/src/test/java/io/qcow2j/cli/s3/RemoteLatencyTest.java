package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Shell;
import io.qcow2j.core.testing.FaultProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores through a relay that holds every request as a remote store's round trip would: the
 * bytes are qemu's, a block's reads go out together (not one round trip after another), and the
 * store never sees more requests at once than the ceiling ({@code KUBEVIRT_DM_MAX_REQUESTS},
 * {@code --max-requests}).
 */
@RequiresQemu
class RemoteLatencyTest {
    private static final Duration DELAY = Duration.ofMillis(20);
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    FaultProxy proxy;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        proxy = FaultProxy.start(backups.server.endpoint()).delayRequests(DELAY);
    }

    @AfterEach
    void tearDown() throws IOException {
        proxy.close();
    }

    @Test
    void aBlocksReadsGoOutTogether() throws IOException {
        // one block, a cluster from each of 8 images: 8 reads that cannot merge
        List<Path> images = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("restore", "--workers", "1", "--output",
                dir.resolve("out.raw").toString()));
        String bucket = backups.server.createBucket();
        for (int i = 0; i < 8; i++) {
            Path img = dir.resolve("img" + i + ".qcow2");
            QemuImg.create(img, 8 << 20, "cluster_size=65536");
            qemuIo(img, "write -P " + (i + 1) + " " + (i * 393216) + " 65536");
            backups.server.putObject(bucket, img.getFileName().toString(), Files.readAllBytes(img));
            images.add(img);
            args.add("s3://" + bucket + "/" + img.getFileName());
        }
        CliRun r = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.oracleChained(oracle, images, dir.resolve("scratch"));
        assertEquals(-1, Files.mismatch(oracle, dir.resolve("out.raw")));
        // one worker: only reads of its block at once can be more than one request in flight
        assertTrue(proxy.maxRequestsInFlight() >= 4, "requests in flight: " + proxy.maxRequestsInFlight());
        assertTrue(proxy.maxRequestsInFlight() <= 32, "requests in flight: " + proxy.maxRequestsInFlight());
    }

    @Test
    void neighbouringClustersOfAnImageAreOneRequest() throws IOException {
        // 32 clusters of the first block written backwards: in the file each is its own extent, the
        // next one's bytes lie just before it; 64 KiB holes between them in the disk
        Path img = dir.resolve("scattered.qcow2");
        QemuImg.create(img, 8 << 20, "cluster_size=65536");
        List<String> writes = new ArrayList<>();
        for (int k = 31; k >= 0; k--) {
            writes.add("write -P " + (k + 1) + " " + (k * 131072) + " 65536");
        }
        qemuIo(img, writes.toArray(String[]::new));
        long gets = restoredRangedGets(img, "--json");
        // the opening read, at most one for the L2 table, one for the 32 clusters (not 32)
        assertTrue(gets >= 2 && gets <= 3, gets + " ranged GETs of " + proxy.requests().size() + " requests");
    }

    @Test
    void neighbouringBlocksOfAnImageAreOneRequest() throws IOException {
        // a cluster at the start of each of 4 consecutive 4 MiB blocks, written in guest order: in
        // the file they follow each other, so the blocks' reads planned together are one GET
        Path img = dir.resolve("blocks.qcow2");
        QemuImg.create(img, 16 << 20, "cluster_size=65536");
        List<String> writes = new ArrayList<>();
        for (int b = 0; b < 4; b++) {
            writes.add("write -P " + (b + 1) + " " + ((long) b << 22) + " 65536");
        }
        qemuIo(img, writes.toArray(String[]::new));
        long gets = restoredRangedGets(img, "--workers", "4");
        // the opening read, at most one for the L2 table, one for the 4 blocks' clusters (not 4)
        assertTrue(gets >= 2 && gets <= 3, gets + " ranged GETs of " + proxy.requests().size() + " requests");
    }

    /**
     * Uploads {@code img}, restores it through the relay with {@code restore} and {@code flags},
     * checks the bytes against qemu's and returns the ranged GETs the relay saw.
     */
    private long restoredRangedGets(Path img, String... flags) throws IOException {
        String bucket = backups.server.createBucket();
        String key = img.getFileName().toString();
        backups.server.putObject(bucket, key, Files.readAllBytes(img));
        Path out = dir.resolve("out.raw");
        List<String> args = new ArrayList<>(List.of("restore"));
        args.addAll(List.of(flags));
        args.addAll(List.of("--output", out.toString(), "s3://" + bucket + "/" + key));
        CliRun r = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.convertToRaw(img, oracle);
        assertEquals(-1, Files.mismatch(oracle, out));
        return proxy.requests().stream().filter(q -> q.method().equals("GET") && q.headers().entrySet().stream()
                .anyMatch(h -> h.getKey().equalsIgnoreCase("Range") && h.getValue().startsWith("bytes="))).count();
    }

    @Test
    void anImagesL2TablesAreFetchedTogether() throws IOException {
        // 4 KiB clusters: an L2 table maps 2 MiB; a cluster in each of 8 tables, so validating the
        // image reads 8 tables, and with one worker each 4 MiB block is one merged read
        Path img = dir.resolve("tables.qcow2");
        QemuImg.create(img, 16 << 20, "cluster_size=4096");
        List<String> writes = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            writes.add("write -P " + (t + 1) + " " + ((t << 21) + 4096L * (t + 1)) + " 4096");
        }
        qemuIo(img, writes.toArray(String[]::new));
        String bucket = backups.server.createBucket();
        backups.server.putObject(bucket, "tables.qcow2", Files.readAllBytes(img));
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.convertToRaw(img, oracle);
        Path out = dir.resolve("out.raw");
        CliRun r = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), "restore", "--workers", "1", "--output",
                out.toString(), "s3://" + bucket + "/tables.qcow2");
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(oracle, out));
        // HEAD, the opening read, 8 tables, 4 blocks
        assertTrue(proxy.requestCount() <= 14, proxy.requestCount() + " requests");
        // one data read at a time (one worker, one read a block): more in flight were the tables
        assertTrue(proxy.maxRequestsInFlight() <= 64, "requests in flight: " + proxy.maxRequestsInFlight());
        assertTrue(proxy.maxRequestsInFlight() >= 4, "requests in flight: " + proxy.maxRequestsInFlight());
    }

    private static void qemuIo(Path img, String... commands) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        cmd.add(img.toString());
        Shell.Result w = Shell.run(cmd.toArray(String[]::new));
        assertEquals(0, w.code(), w.err());
    }

    @Test
    void datamoverRestoreKeepsToTheRequestCeiling() throws IOException {
        String bucket = backups.upload(dm.layout);
        Map<String, String> env = dm.env(bucket, "b3", "rootdisk", proxy.endpoint());
        env.put("KUBEVIRT_DM_MAX_REQUESTS", "3");
        dm.assertRestored(DatamoverRun.run(env), "b3", "rootdisk");
        assertTrue(proxy.maxRequestsInFlight() <= 3, "requests in flight: " + proxy.maxRequestsInFlight());
        assertTrue(proxy.maxRequestsInFlight() >= 2, "requests in flight: " + proxy.maxRequestsInFlight());

        env.put("KUBEVIRT_DM_MAX_REQUESTS", "0");
        CliRun bad = DatamoverRun.run(env);
        assertEquals(2, bad.exit(), bad.err()); // a malformed variable is a usage error (cli-contract.md)
        assertEquals(1, bad.lines("error: ").size(), bad.err());
        assertTrue(bad.lines("error: ").get(0).contains("KUBEVIRT_DM_MAX_REQUESTS=0"), bad.err());
    }

    @Test
    void restoreVmKeepsToTheRequestCeilingFlag() throws IOException {
        String bucket = backups.upload(dm.layout);
        Path root = dir.resolve("root.raw");
        CliRun r = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), "restore-vm", "--bucket", bucket, "--prefix",
                S3Backups.PREFIX, "--max-requests", "2", "--backup", "b3", "--namespace", dm.layout.ns, "--vm",
                dm.layout.vm, "--target", "rootdisk=" + root, "--target", "datadisk=" + dir.resolve("data.raw"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(backups.oracle("b3", "rootdisk"), root));
        assertEquals(2, proxy.maxRequestsInFlight(), "requests in flight");

        CliRun bad = CliRun.cli(DatamoverRun.awsEnv(proxy.endpoint()), "restore-vm", "--bucket", bucket,
                "--max-requests", "many", "--backup", "b3", "--namespace", "n", "--vm", "v", "--target", "a=b");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--max-requests=many"), bad.err());
    }
}
