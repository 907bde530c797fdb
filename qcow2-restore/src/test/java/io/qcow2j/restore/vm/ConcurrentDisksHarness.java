package io.qcow2j.restore.vm;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Throwaway measurement, not a test: should {@code VmRestore} restore a VM's disks one after the
 * other (each {@link Restore} with all the workers) or concurrently (the workers split between
 * them)? Two disks, each a full image with {@code fill} of its 1 MiB chunks random and an
 * incremental overwriting 10 % of them; page cache warm; median of {@code runs}.
 *
 * <pre>
 * java -cp ... io.qcow2j.restore.vm.ConcurrentDisksHarness WORKDIR TARGETDIR [sizeMiB=1024] [runs=5] [fill=0.5]
 * </pre>
 * Targets in TARGETDIR are deleted before each run (new sparse files) unless {@code -Dexisting=true}
 * (existing files: zero ranges are written too); {@code -Dseq=N} / {@code -Dconc=N} set the workers per
 * restore of each mode (default: all cores / half of them).
 */
public final class ConcurrentDisksHarness {
    private static final int CHUNK = 1 << 20;

    private ConcurrentDisksHarness() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        Path targets = Path.of(args[1]);
        long size = (args.length > 2 ? Long.parseLong(args[2]) : 1024) << 20;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        double fill = args.length > 4 ? Double.parseDouble(args[4]) : 0.5;
        boolean existing = Boolean.getBoolean("existing");
        int cores = Runtime.getRuntime().availableProcessors();
        // workers per restore: sequential gets every core, concurrent splits them (override to
        // tell "more threads" apart from "disks overlapped")
        int seqWorkers = Integer.getInteger("seq", cores);
        int concWorkers = Integer.getInteger("conc", Math.max(1, cores / 2));
        Files.createDirectories(work);
        Files.createDirectories(targets);

        List<Chain> chains = new ArrayList<>();
        List<Path> out = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            List<Path> images = images(work, d, size, fill);
            chains.add(Chain.open(images, OpenOptions.defaults()));
            out.add(targets.resolve("disk" + d + ".raw"));
            for (Path img : images) {
                warm(img);
            }
        }
        System.out.printf("2 disks x %d MiB, %.0f%% random 1 MiB chunks + 10%% incremental, %d cores, targets %s (%s)%n",
                size >> 20, fill * 100, cores, targets, existing ? "existing files" : "new files");

        RestoreOptions base = RestoreOptions.defaults();
        // one of each first: JIT and page cache
        sequential(chains, out, base.toBuilder().workers(seqWorkers).build(), existing);
        concurrent(chains, out, base.toBuilder().workers(concWorkers).build(), existing);

        double[] seq = new double[runs];
        double[] conc = new double[runs];
        double[] seqCpu = new double[runs];
        double[] concCpu = new double[runs];
        for (int i = 0; i < runs; i++) {
            // alternate which mode goes first so drift in the machine's load hits both alike
            for (int m = 0; m < 2; m++) {
                boolean doSeq = (i + m) % 2 == 0;
                double cpu0 = cpuSeconds();
                if (doSeq) {
                    seq[i] = sequential(chains, out, base.toBuilder().workers(seqWorkers).build(), existing);
                    seqCpu[i] = cpuSeconds() - cpu0;
                } else {
                    conc[i] = concurrent(chains, out, base.toBuilder().workers(concWorkers).build(), existing);
                    concCpu[i] = cpuSeconds() - cpu0;
                }
            }
            System.out.printf("run %d: sequential %.3f s (cpu %.3f s), concurrent %.3f s (cpu %.3f s), load %s%n",
                    i + 1, seq[i], seqCpu[i], conc[i], concCpu[i], loadAverage());
        }
        double ms = median(seq);
        double mc = median(conc);
        System.out.printf("median of %d: sequential (%d workers each) %.3f s (cpu %.3f s), concurrent (%d worker(s) each)"
                + " %.3f s (cpu %.3f s); concurrent/sequential = %.3f%n", runs, seqWorkers, ms, median(seqCpu),
                concWorkers, mc, median(concCpu), mc / ms);
        // on a shared machine the fastest run is the one least disturbed by others
        System.out.printf("min of %d: sequential %.3f s, concurrent %.3f s; concurrent/sequential = %.3f%n", runs,
                min(seq), min(conc), min(conc) / min(seq));
        for (Chain c : chains) {
            c.close();
        }
    }

    private static double sequential(List<Chain> chains, List<Path> out, RestoreOptions o, boolean existing)
            throws IOException {
        prepareTargets(out, existing);
        long t = System.nanoTime();
        for (int d = 0; d < chains.size(); d++) {
            Restore.of(chains.get(d), out.get(d), o).run();
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static double concurrent(List<Chain> chains, List<Path> out, RestoreOptions o, boolean existing)
            throws Exception {
        prepareTargets(out, existing);
        ExecutorService pool = Executors.newFixedThreadPool(chains.size());
        try {
            long t = System.nanoTime();
            List<Future<RestoreResult>> fs = new ArrayList<>();
            for (int d = 0; d < chains.size(); d++) {
                Chain c = chains.get(d);
                Path target = out.get(d);
                fs.add(pool.submit(() -> Restore.of(c, target, o).run()));
            }
            for (Future<RestoreResult> f : fs) {
                f.get();
            }
            return (System.nanoTime() - t) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    private static void prepareTargets(List<Path> out, boolean existing) throws IOException {
        for (Path p : out) {
            if (!existing) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** full + one incremental for disk {@code d}, made once and reused by later runs. */
    private static List<Path> images(Path work, int d, long size, double fill) throws IOException {
        Path full = work.resolve("disk" + d + "-full.qcow2");
        Path inc = work.resolve("disk" + d + "-inc.qcow2");
        if (!Files.exists(inc)) {
            Random random = new Random(1000 + d);
            Path raw = work.resolve("tmp.raw");
            sparseRaw(raw, size, fill, random);
            QemuImg.convertToQcow2(raw, full, false, null);
            sparseRaw(raw, size, 0.1, random);
            QemuImg.convertToQcow2(raw, inc, false, null);
            Files.delete(raw);
        }
        return List.of(full, inc);
    }

    /** A sparse raw file with a {@code fill} share of its 1 MiB chunks random, the rest holes. */
    private static void sparseRaw(Path raw, long size, double fill, Random random) throws IOException {
        Files.deleteIfExists(raw);
        byte[] chunk = new byte[CHUNK];
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long off = 0; off < size; off += CHUNK) {
                if (random.nextDouble() < fill) {
                    random.nextBytes(chunk);
                    ch.write(ByteBuffer.wrap(chunk), off);
                }
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        }
    }

    private static void warm(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            int n;
            while ((n = ch.read(buf.clear(), pos)) > 0) {
                pos += n;
            }
        }
    }

    private static double cpuSeconds() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        return os.getProcessCpuTime() / 1e9;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
