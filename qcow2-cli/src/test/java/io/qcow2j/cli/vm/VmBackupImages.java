package io.qcow2j.cli.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.oadp.VmLayoutFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The real qcow2 images of the contract's {@code cases_vm.sh} layout, made once with qemu and copied
 * over the dummy images of a {@link VmLayoutFixture} (whose JSON is that of {@code qc.py vm-json}).
 *
 * <p>Disk 0 (10 MiB, 64 KiB clusters) and disk 1 (20 MiB; 4 KiB clusters in cp-001, 64 KiB later),
 * four checkpoints with data writes, zero writes and overlapping regions; cp-004 (only in bk-4)
 * overwrites regions that bk-3 must not show.
 */
public final class VmBackupImages {
    public static final long M = 1L << 20;
    public static final long DISK0_SIZE = 10 * M;
    public static final long DISK1_SIZE = 20 * M;
    public static final int CHECKPOINTS = 4;

    private final Path dir;

    private VmBackupImages(Path dir) {
        this.dir = dir;
    }

    private static VmBackupImages shared;

    /**
     * The images built once per test JVM (in a temporary directory removed at exit), so every test
     * class of this package pays for qemu once.
     */
    public static synchronized VmBackupImages shared() throws IOException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("qcow2j-vm-images-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            shared = build(dir);
        }
        return shared;
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

    /** Makes the eight images under {@code dir} (about 40 MiB, a second or two of qemu). */
    public static VmBackupImages build(Path dir) throws IOException {
        VmBackupImages b = new VmBackupImages(dir);
        Files.createDirectories(dir);
        Path[] p = new Path[6];
        Random random = new Random(0x5eed_4a11L);
        for (int i = 0; i < p.length; i++) {
            p[i] = dir.resolve("pat" + i);
            byte[] bytes = new byte[(int) (12 * M)];
            random.nextBytes(bytes);
            Files.write(p[i], bytes);
        }

        Path d0 = b.image(1, 0);
        QemuImg.create(d0, DISK0_SIZE, null);
        QemuIo.on(d0).writeFile(0, 6 * M, p[0]).write(10 * M - 4096, 4096, 0xd0).run();
        Path d1 = b.image(1, 1);
        QemuImg.create(d1, DISK1_SIZE, "cluster_size=4096");
        QemuIo.on(d1).writeFile(0, 12 * M, p[1]).writeFile(16 * M, M, p[5]).run();

        d0 = b.image(2, 0);
        QemuImg.create(d0, DISK0_SIZE, null);
        QemuIo.on(d0).writeFile(M, 2 * M, p[2]).writeZero(5 * M, 128 << 10).run();
        d1 = b.image(2, 1);
        QemuImg.create(d1, DISK1_SIZE, null);
        QemuIo.on(d1).writeFile(5 * M, 3 * M, p[3]).writeZero(0, M).write(17 * M + 100, 1000, 0x21).run();

        d0 = b.image(3, 0);
        QemuImg.create(d0, DISK0_SIZE, null);
        QemuIo.on(d0).writeFile(2 * M, 2 * M, p[4]).writeFile(8 * M, 64 << 10, p[4]).run();
        d1 = b.image(3, 1);
        QemuImg.create(d1, DISK1_SIZE, "cluster_size=65536");
        QemuIo.on(d1).writeFile(7 * M, 2 * M, p[0]).writeZero(16 * M, 256 << 10).run();

        d0 = b.image(4, 0);
        QemuImg.create(d0, DISK0_SIZE, null);
        QemuIo.on(d0).write(1536 << 10, 3 * M, 0xee).run();
        d1 = b.image(4, 1);
        QemuImg.create(d1, DISK1_SIZE, null);
        QemuIo.on(d1).write(6 * M, 2 * M, 0xef).writeZero(0, 64 << 10).run();

        for (Path pat : p) {
            Files.delete(pat);
        }
        return b;
    }

    /** The built image of checkpoint {@code k} (1-based) for disk 0 or 1. */
    Path image(int k, int disk) {
        return dir.resolve(String.format("cp-%03d-disk%d.qcow2", k, disk));
    }

    /** The images of {@code disk} for a chain of the first {@code n} checkpoints, oldest first. */
    List<Path> chain(int n, int disk) {
        List<Path> chain = new ArrayList<>();
        for (int k = 1; k <= n; k++) {
            chain.add(image(k, disk));
        }
        return chain;
    }

    /** Copies the built images over the fixture's dummy ones (same checkpoint, same disk). */
    void installInto(VmLayoutFixture fx) throws IOException {
        for (int k = 1; k <= CHECKPOINTS; k++) {
            for (int disk = 0; disk < 2; disk++) {
                Files.copy(image(k, disk), fx.image(k, disk), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** qemu's restore of {@code disk} over the first {@code n} checkpoints (chained rebase + convert). */
    synchronized Path oracle(int n, int disk) throws IOException {
        Path raw = dir.resolve(String.format("oracle-%d-disk%d.raw", n, disk));
        if (!Files.exists(raw)) {
            QemuImg.oracleChained(raw, chain(n, disk), dir.resolve("scratch"));
        }
        return raw;
    }

    /**
     * Bytes of the composed disk that qemu maps as data (allocated, not zero) through the chained
     * copies: what a restore into a new sparse file has to write.
     */
    long composedDataBytes(int n, int disk) throws IOException {
        Path scratch = Files.createTempDirectory(dir, "map-");
        List<Path> copies = new ArrayList<>();
        for (Path img : chain(n, disk)) {
            Path copy = scratch.resolve(copies.size() + ".qcow2");
            Files.copy(img, copy);
            copies.add(copy);
        }
        QemuImg.removeBacking(copies.get(0));
        for (int i = 1; i < copies.size(); i++) {
            QemuImg.rebaseUnsafe(copies.get(i), copies.get(i - 1));
        }
        String map = Qemu.run("qemu-img", "map", "--output=json", "-f", "qcow2", copies.get(n - 1).toString());
        long data = 0;
        for (JsonNode e : new ObjectMapper().readTree(map)) {
            if (e.path("data").asBoolean() && !e.path("zero").asBoolean()) {
                data += e.path("length").asLong();
            }
        }
        for (Path c : copies) {
            Files.delete(c);
        }
        Files.delete(scratch);
        return data;
    }
}
