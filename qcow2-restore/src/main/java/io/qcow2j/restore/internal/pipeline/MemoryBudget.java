package io.qcow2j.restore.internal.pipeline;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How many workers a restore can afford. Each worker holds one block buffer and, for compressed
 * clusters, two clusters' worth of scratch and one cluster: native (direct) memory, which the JVM
 * caps at {@code -XX:MaxDirectMemorySize} (by default the maximum heap) and a container caps at its
 * memory limit. Workers are sized from what is actually free, not from the CPU count, so a pod on a
 * node with many cores neither runs out of direct memory half-way nor grows with the node. Without
 * a container limit the process is sized as if it had one ({@link #envelope()}: twice its maximum
 * heap, at least {@link #MIN_ENVELOPE}), with its resident memory as the usage.
 *
 * @param workers        the workers the run gets (at least 1 when {@link #fits()})
 * @param wanted         the workers asked for, or the default for this machine
 * @param perWorker      native bytes one worker needs at most
 * @param available      native bytes the run may use
 * @param maxDirect      the JVM's direct-memory limit
 * @param directInUse    direct memory already in use
 * @param containerLimit the memory cgroup's limit, or without one the assumed limit
 *                       ({@link #envelope()}), or -1 when neither is known
 * @param containerInUse the cgroup's current usage (without one, the process's resident memory), or -1
 * @param assumedLimit   true when there is no container limit and {@code containerLimit} is assumed
 */
public record MemoryBudget(int workers, int wanted, long perWorker, long available, long maxDirect, long directInUse,
        long containerLimit, long containerInUse, boolean assumedLimit) {
    /** The default number of workers stops here, whatever the CPU count: a disk does not get faster. */
    public static final int MAX_DEFAULT_WORKERS = 16;
    /** Direct memory kept aside for the run's other buffers (zeros, hashing, the JDK's own). */
    static final long RESERVE = 8L << 20;
    /** Room kept in a container for the heap's growth, thread stacks and the JIT. */
    static final long CONTAINER_MARGIN = 48L << 20;
    /**
     * Without a container limit, the process is sized for this many maximum heaps: the ratio of a
     * pod's limit to the heap the launcher gives it (MaxRAMPercentage=50), so a run without a limit
     * stays within the memory a pod with one would get.
     */
    static final int ENVELOPE_HEAPS = 2;
    /** The least a process without a container limit is sized for: the memory the docs ask a pod for. */
    static final long MIN_ENVELOPE = 256L << 20;

    /** True when at least one worker fits. */
    public boolean fits() {
        return workers >= 1;
    }

    /**
     * The budget of a run.
     *
     * @param requested  workers asked for, or 0 for the default (the CPU count, at most
     *                   {@link #MAX_DEFAULT_WORKERS})
     * @param maxCluster the largest cluster size in the chain
     * @param ioParallelism reads in flight the chain's sources ask for (remote ones wait a round trip
     *                   per read), 0 when all are local
     */
    public static MemoryBudget compute(int requested, long maxCluster, int ioParallelism) {
        int wanted = requested > 0 ? requested
                : Math.min(MAX_DEFAULT_WORKERS, Math.max(Runtime.getRuntime().availableProcessors(), ioParallelism));
        long perWorker = BlockPlanner.BLOCK + io.qcow2j.restore.internal.target.Buffers.ALIGN + 3 * maxCluster;
        long maxDirect = maxDirectMemory();
        long directInUse = directMemoryInUse();
        long available = maxDirect - directInUse - RESERVE;
        long[] cgroup = cgroupMemory();
        boolean assumed = cgroup[0] <= 0;
        if (assumed) {
            long resident = residentBytes();
            cgroup = resident < 0 ? new long[] {-1, -1}
                    : new long[] {envelope(), resident};
        }
        if (cgroup[0] > 0 && cgroup[1] >= 0) {
            available = Math.min(available, cgroup[0] - cgroup[1] - CONTAINER_MARGIN);
        }
        long affordable = Math.max(0, available) / perWorker;
        int workers = (int) Math.min(wanted, affordable);
        return new MemoryBudget(workers, wanted, perWorker, Math.max(0, available), maxDirect, directInUse, cgroup[0],
                cgroup[1], assumed && cgroup[0] > 0);
    }

    /** One line with the numbers, for the refusal's message. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("one worker needs ").append(mib(perWorker)).append(" of native memory, ")
                .append(mib(available)).append(" is free (direct-memory limit ").append(mib(maxDirect))
                .append(", in use ").append(mib(directInUse));
        if (assumedLimit) {
            sb.append("; no container limit: sized for ").append(mib(containerLimit)).append(" (twice the maximum heap, at"
                    + " least ").append(mib(MIN_ENVELOPE)).append("), resident ").append(mib(containerInUse));
        } else if (containerLimit > 0) {
            sb.append("; container limit ").append(mib(containerLimit)).append(", in use ").append(mib(containerInUse));
        }
        return sb.append(")").toString();
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** {@code -XX:MaxDirectMemorySize}, or the maximum heap when it is not set (the JVM's default). */
    static long maxDirectMemory() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            long v = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
            if (v > 0) {
                return v;
            }
        } catch (RuntimeException e) {
            // not HotSpot: the default below
        }
        return Runtime.getRuntime().maxMemory();
    }

    /**
     * The memory a process without a container limit is sized for: {@link #ENVELOPE_HEAPS} maximum
     * heaps, at least {@link #MIN_ENVELOPE}. With the launcher's 128 MiB heap, the 256 MiB of a pod.
     */
    static long envelope() {
        return Math.max(MIN_ENVELOPE, ENVELOPE_HEAPS * Runtime.getRuntime().maxMemory());
    }

    /** This process's resident memory ({@code VmRSS} of /proc/self/status), or -1 when unknown. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no envelope
        }
        return -1;
    }

    static long directMemoryInUse() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /**
     * The memory cgroup's limit and usage ({@code [-1, -1]} when none applies): cgroup v2
     * ({@code memory.max}, {@code memory.current}) or v1 ({@code memory.limit_in_bytes},
     * {@code memory.usage_in_bytes}), at this process's own cgroup or, inside a container's
     * namespace, at the root. The usage leaves out the page cache ({@code memory.stat}'s
     * {@code file}, v1 {@code total_cache}): reading the images fills it, and the kernel reclaims
     * its clean pages before it would fail an allocation.
     */
    static long[] cgroupMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length < 3) {
                    continue;
                }
                if (f[0].equals("0") && f[1].isEmpty()) {
                    long[] v2 = read(List.of(Path.of("/sys/fs/cgroup", f[2]), Path.of("/sys/fs/cgroup")),
                            "memory.max", "memory.current", "file");
                    if (v2 != null) {
                        return v2;
                    }
                } else if (List.of(f[1].split(",")).contains("memory")) {
                    long[] v1 = read(List.of(Path.of("/sys/fs/cgroup/memory", f[2]), Path.of("/sys/fs/cgroup/memory")),
                            "memory.limit_in_bytes", "memory.usage_in_bytes", "total_cache");
                    if (v1 != null) {
                        return v1;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup information: no container limit known
        }
        return new long[] {-1, -1};
    }

    private static long[] read(List<Path> dirs, String limitFile, String usageFile, String cacheKey) {
        for (Path dir : dirs) {
            try {
                String limit = Files.readString(dir.resolve(limitFile)).strip();
                long usage = Long.parseLong(Files.readString(dir.resolve(usageFile)).strip());
                long cache = 0;
                for (String stat : Files.readAllLines(dir.resolve("memory.stat"))) {
                    if (stat.startsWith(cacheKey + " ")) {
                        cache = Long.parseLong(stat.substring(cacheKey.length() + 1).strip());
                    }
                }
                // "max" (v2) and a huge page-rounded number (v1) both mean: no limit
                long l = limit.equals("max") ? -1 : Long.parseLong(limit);
                return new long[] {l <= 0 || l >= Long.MAX_VALUE / 2 ? -1 : l, Math.max(0, usage - cache)};
            } catch (IOException | RuntimeException e) {
                // next candidate
            }
        }
        return null;
    }
}
