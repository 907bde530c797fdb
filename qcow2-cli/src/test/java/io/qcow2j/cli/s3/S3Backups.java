package io.qcow2j.cli.s3;

import static io.qcow2j.restore.oadp.ControllerBackup.DiskChain.data;
import static io.qcow2j.restore.oadp.ControllerBackup.DiskChain.zero;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.restore.oadp.ControllerBackup;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backups the S3 tests restore, made once per JVM with qemu like KubeVirt push-mode backups
 * (incrementals store libvirt's in-pod backing name), and a real S3 server (S3Proxy) to upload them
 * to in the controller's layout. VM {@code vm-ns/vm1}, two disks; rootdisk has two chains in one
 * index (b3: cp1 full, cp2, cp3; then a full-backup reset, b5: cp4 full, cp5), datadisk the same
 * checkpoints. Each test uploads a fresh layout to a bucket of its own, so it may break it.
 */
final class S3Backups {
    static final long M = 1 << 20;
    static final String PREFIX = "velero-kubevirt-datamover";
    static final String[] DISKS = {"rootdisk", "datadisk"};

    final S3ProxyServer server;
    final Path dir;
    final Map<String, List<Path>> chains = new LinkedHashMap<>();
    private final Map<String, Path> oracles = new HashMap<>();

    private static S3Backups shared;

    private S3Backups(S3ProxyServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    static synchronized S3Backups shared() throws IOException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("qcow2j-s3-backups-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            S3Backups b = new S3Backups(S3ProxyServer.shared(), dir);
            b.build();
            shared = b;
        }
        return shared;
    }

    private void build() throws IOException {
        ControllerBackup.DiskChain root = new ControllerBackup.DiskChain(dir.resolve("img"), "rootdisk", 16 * M, 65536);
        root.full(data(0, 4 * M), data(6 * M, 3 * M), data(12 * M, M));
        root.incremental(data(M, M + 65536), zero(7 * M, 512 * 1024), data(14 * M, 4096));
        root.incremental(data(2 * M, 4096), data(8 * M, 2 * M));
        root.full(data(0, 8 * M));
        root.incremental(data(3 * M, 2 * M), zero(M, M));
        chains.put("rootdisk", root.images());
        ControllerBackup.DiskChain data = new ControllerBackup.DiskChain(dir.resolve("img"), "datadisk", 8 * M, 4096);
        data.full(data(0, 2 * M));
        data.incremental(data(M, 65536));
        data.incremental(zero(0, 65536));
        data.full(data(4 * M, M));
        data.incremental(data(4 * M, 8192));
        chains.put("datadisk", data.images());
    }

    /** The controller's layout of the images: checkpoints cp1..cp5, backups b3 (cp1..cp3) and b5 (cp4, cp5). */
    ControllerBackup layout() throws IOException {
        ControllerBackup b = new ControllerBackup();
        for (int k = 1; k <= 5; k++) {
            Map<String, Path> disks = new LinkedHashMap<>();
            for (String d : DISKS) {
                disks.put(d, chains.get(d).get(k - 1));
            }
            boolean full = k == 1 || k == 4;
            b.checkpoint("cp" + k, full ? "full" : "incremental", full ? null : "cp" + (k - 1), disks);
        }
        b.backup("b3", "cp1", "cp2", "cp3");
        b.backup("b5", "cp4", "cp5");
        return b;
    }

    /** A new bucket holding {@code b} under {@link #PREFIX}; returns its name. */
    String upload(ControllerBackup b) throws IOException {
        String bucket = server.createBucket();
        upload(bucket, b);
        return bucket;
    }

    void upload(String bucket, ControllerBackup b) throws IOException {
        upload(server, bucket, b);
    }

    /** Uploads {@code b} to {@code bucket} of {@code to}, another server than the shared one. */
    static void upload(S3ProxyServer to, String bucket, ControllerBackup b) throws IOException {
        for (Map.Entry<String, byte[]> e : b.metadata().entrySet()) {
            to.putObject(bucket, PREFIX + "/" + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Path> e : b.images.entrySet()) {
            to.putObject(bucket, PREFIX + "/" + e.getKey(), Files.readAllBytes(e.getValue()));
        }
    }

    /** The images of {@code disk} in backup b3 or b5, oldest first. */
    List<Path> chain(String backup, String disk) {
        List<Path> all = chains.get(disk);
        return backup.equals("b3") ? all.subList(0, 3) : all.subList(3, 5);
    }

    /** What the downloader's workflow (chained rebase -u, convert) restores for {@code disk} of {@code backup}. */
    synchronized Path oracle(String backup, String disk) throws IOException {
        String key = backup + "/" + disk;
        if (!oracles.containsKey(key)) {
            Path out = dir.resolve("oracle-" + backup + "-" + disk + ".raw");
            QemuImg.oracleChained(out, chain(backup, disk), dir.resolve("scratch"));
            oracles.put(key, out);
        }
        return oracles.get(key);
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
