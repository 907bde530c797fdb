package io.qcow2j.cli.s3;

import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import io.qcow2j.restore.Shell;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.oadp.ControllerBackup;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote restores under faults (connections cut mid-body, 503 SlowDown), the proof that only the
 * winning clusters travel, {@code restore} with {@code s3://} images, {@code restore-vm} from a
 * bucket, and a block-device target written in place.
 */
@RequiresQemu
class RemoteRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        proxy = FaultProxy.start(backups.server.endpoint());
    }

    @AfterEach
    void tearDown() throws IOException {
        proxy.close();
    }

    @Test
    void connectionsCutMidBodyAreResumed() throws IOException {
        String bucket = backups.upload(dm.layout);
        proxy.cutConnections(3, 300_000, FaultProxy.Cut.RESET);
        JsonNode s = dm.assertRestored(DatamoverRun.run(dm.env(bucket, "b3", "rootdisk", proxy.endpoint())),
                "b3", "rootdisk");
        assertTrue(s.path("retries").asLong() >= 1, s.toString());
    }

    @Test
    void slowDownAnswersAreWaitedOut() throws IOException {
        String bucket = backups.upload(dm.layout);
        proxy.slowDown(4);
        JsonNode s = dm.assertRestored(DatamoverRun.run(dm.env(bucket, "b5", "rootdisk", proxy.endpoint())),
                "b5", "rootdisk");
        assertEquals(4, s.path("retries").asLong(), s.toString());
    }

    @Test
    void onlyTheWinningClustersAreFetched() throws IOException {
        long m = 1 << 20;
        // each incremental overwrites most of what is older: most image bytes lose
        ControllerBackup.DiskChain disk = new ControllerBackup.DiskChain(dir.resolve("big"), "rootdisk", 48 * m, 65536);
        disk.full(data(0, 40 * m));
        disk.incremental(data(0, 24 * m));
        disk.incremental(data(24 * m, 8 * m), data(44 * m, 65536));
        List<Path> images = disk.images();
        ControllerBackup b = new ControllerBackup();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", images.get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", images.get(1)));
        b.checkpoint("cp3", "incremental", "cp2", Map.of("rootdisk", images.get(2)));
        b.backup("b3", "cp1", "cp2", "cp3");
        String bucket = backups.upload(b);
        dm.layout = b;
        CliRun r = DatamoverRun.run(dm.env(bucket, "b3", "rootdisk", proxy.endpoint()));
        assertEquals(0, r.exit(), r.err());
        Path oracle = dir.resolve("oracle.raw");
        QemuImg.oracleChained(oracle, images, dir.resolve("scratch"));
        assertEquals(-1, Files.mismatch(oracle, dm.target));

        long winning;
        try (Chain chain = Chain.open(images, ChainOptions.defaults())) {
            winning = new Composition(chain.images()).dataBytes();
        }
        long metadata = 0;
        long imageBytes = 0;
        for (Path img : images) {
            try (ImagePoker p = ImagePoker.open(img)) {
                // header cluster, L1, refcount table, every L2 table
                metadata += p.clusterSize() * (2 + p.l2Tables().size()) + 8L * p.l1Size();
            }
            imageBytes += Files.size(img);
        }
        for (byte[] json : b.metadata().values()) {
            metadata += json.length;
        }
        JsonNode s = JSON.readTree(r.out());
        long requests = s.path("requests").asLong();
        long fetched = proxy.bytesToClient(); // on the wire: bodies and HTTP headers
        long bound = (long) (1.10 * winning) + metadata + requests * 1024;
        assertTrue(fetched <= bound, "fetched " + fetched + " bytes; winning data " + winning + ", metadata "
                + metadata + ", " + requests + " requests: bound " + bound);
        assertTrue(winning < imageBytes * 6 / 10, "a chain where most bytes lose: " + winning + " of " + imageBytes);
        assertEquals(s.path("bytes-fetched").asLong() + 0, s.path("bytes-fetched").asLong());
        assertTrue(s.path("bytes-fetched").asLong() <= fetched, s.toString());
    }

    private Map<String, String> awsEnv() {
        return DatamoverRun.awsEnv(proxy.endpoint());
    }

    @Test
    void restoreTakesS3UrisMixedWithLocalPaths() throws IOException {
        String bucket = backups.upload(dm.layout);
        List<String> args = new ArrayList<>(List.of("restore", "--json", "--output", dm.target.toString(),
                backups.chain("b3", "rootdisk").get(0).toString()));
        for (String id : List.of("cp2", "cp3")) {
            args.add("s3://" + bucket + "/" + S3Backups.PREFIX + "/" + dm.layout.key(id, "rootdisk"));
        }
        CliRun r = CliRun.cli(awsEnv(), args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(backups.oracle("b3", "rootdisk"), dm.target));
        JsonNode s = JSON.readTree(r.out());
        assertTrue(s.path("bytes-fetched").asLong() > 0 && s.path("requests").asLong() > 0, s.toString());
        assertTrue(r.lines("note: ").stream().anyMatch(l -> l.contains("/var/run/kubevirt-private/vmi-disks/rootdisk")),
                "the stored backing name is reported: " + r.err());

        CliRun missing = CliRun.cli(awsEnv(), "restore", "--output", dir.resolve("other.raw").toString(),
                "s3://" + bucket + "/nothing-here.qcow2");
        assertEquals(3, missing.exit(), missing.err());
        assertTrue(missing.lines("error: ").get(0).contains("s3://" + bucket + "/nothing-here.qcow2"), missing.err());
        assertEquals(2, CliRun.cli(awsEnv(), "restore", "--output", "x.raw", "s3://bucket-only").exit());
    }

    @Test
    void restoreVmReadsTheControllersLayoutFromABucketOrADirectory() throws IOException {
        String bucket = backups.upload(dm.layout);
        Path root = dir.resolve("root.raw");
        Path data = dir.resolve("data.raw");
        CliRun r = CliRun.cli(awsEnv(), "restore-vm", "--json", "--bucket", bucket, "--prefix", S3Backups.PREFIX,
                "--backup", "b3", "--namespace", dm.layout.ns, "--vm", dm.layout.vm,
                "--target", "rootdisk-pvc=" + root, "--target", "datadisk=" + data);
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(backups.oracle("b3", "rootdisk"), root));
        assertEquals(-1, Files.mismatch(backups.oracle("b3", "datadisk"), data));
        JsonNode s = JSON.readTree(r.out());
        assertTrue(s.path("bytes-fetched").asLong() > 0, s.toString());
        assertEquals("datadisk", s.path("disks").get(1).path("disk").asText());

        Path local = dir.resolve("bsl");
        dm.layout.writeTo(local);
        Files.delete(root);
        CliRun fromDir = CliRun.cli(awsEnv(), "restore-vm", "--root", local.toString(), "--backup", "b5",
                "--namespace", dm.layout.ns, "--vm", dm.layout.vm, "--target", "rootdisk=" + root,
                "--target", "datadisk=" + dir.resolve("data5.raw"));
        assertEquals(0, fromDir.exit(), fromDir.err());
        assertEquals(-1, Files.mismatch(backups.oracle("b5", "rootdisk"), root));

        assertEquals(2, CliRun.cli(awsEnv(), "restore-vm", "--root", local.toString(), "--bucket", bucket,
                "--backup", "b5", "--namespace", "n", "--vm", "v", "--target", "a=b").exit());
    }

    @Test
    void aBlockDeviceIsWrittenInPlaceAndNeverReplaced() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a loop device");
        Path backing = dir.resolve("device.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(20 << 20); // bigger than the disk, as the controller's output PVC is
            f.seek(0);
            f.write(new byte[] {1, 2, 3}); // garbage that must end up zeroed
        }
        Shell.Result loop = Shell.run("losetup", "-f", "--show", backing.toString());
        assumeTrue(loop.code() == 0, "no loop device: " + loop.err());
        Path device = Path.of(loop.out().strip());
        try {
            String bucket = backups.upload(dm.layout);
            dm.target = device;
            Map<String, String> env = dm.env(bucket, "b3", "rootdisk", proxy.endpoint());
            env.put("KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE", "true");
            CliRun r = DatamoverRun.run(env);
            assertEquals(0, r.exit(), r.err());
            assertEquals("block-device", JSON.readTree(r.out()).path("target-kind").asText());
            Path oracle = backups.oracle("b3", "rootdisk");
            byte[] want = Files.readAllBytes(oracle);
            byte[] got = new byte[want.length];
            try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "r")) {
                f.readFully(got);
            }
            assertEquals(-1, java.util.Arrays.mismatch(want, got));

            env.put("KUBEVIRT_DM_VELERO_BACKUP_NAME", "b9");
            assertEquals(3, DatamoverRun.run(env).exit());
            assertTrue(Files.exists(device), "a failed restore never unlinks the device node");
        } finally {
            Shell.run("losetup", "-d", device.toString());
        }
    }
}
