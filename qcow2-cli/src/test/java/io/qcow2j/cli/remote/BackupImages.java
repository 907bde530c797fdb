package io.qcow2j.cli.remote;

import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.zero;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backups the object-storage tests restore, whatever the store, made once per JVM with qemu like
 * KubeVirt push-mode backups (incrementals store libvirt's in-pod backing name). VM
 * {@code vm-ns/vm1}, two disks; rootdisk has two chains in one index (b3: cp1 full, cp2, cp3; then a
 * full-backup reset, b5: cp4 full, cp5), datadisk the same checkpoints. Each test uploads a fresh
 * layout to a bucket or container of its own, so it may break it.
 */
public final class BackupImages {
    public static final long M = 1 << 20;
    /** The prefix the layouts are uploaded under, as the controller names it. */
    public static final String PREFIX = "velero-kubevirt-datamover";
    public static final String[] DISKS = {"rootdisk", "datadisk"};

    /** Where an upload puts one object: its key under the bucket or container, and its bytes. */
    public interface Sink {
        void put(String key, byte[] content) throws IOException;
    }

    public final Path dir;
    public final Map<String, List<Path>> chains = new LinkedHashMap<>();
    private final Map<String, Path> oracles = new HashMap<>();

    private static BackupImages shared;

    private BackupImages(Path dir) {
        this.dir = dir;
    }

    /** The images of this JVM, made on first use. */
    public static synchronized BackupImages shared() throws IOException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("qcow2j-backups-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            BackupImages b = new BackupImages(dir);
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
    public ControllerBackup layout() throws IOException {
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

    /** Puts every object of {@code b} under {@link #PREFIX} into {@code sink}. */
    public static void upload(ControllerBackup b, Sink sink) throws IOException {
        for (Map.Entry<String, byte[]> e : b.metadata().entrySet()) {
            sink.put(PREFIX + "/" + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Path> e : b.images.entrySet()) {
            sink.put(PREFIX + "/" + e.getKey(), Files.readAllBytes(e.getValue()));
        }
    }

    /** The images of {@code disk} in backup b3 or b5, oldest first. */
    public List<Path> chain(String backup, String disk) {
        List<Path> all = chains.get(disk);
        return backup.equals("b3") ? all.subList(0, 3) : all.subList(3, 5);
    }

    /** What the downloader's workflow (chained rebase -u, convert) restores for {@code disk} of {@code backup}. */
    public synchronized Path oracle(String backup, String disk) throws IOException {
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
