package io.qcow2j.bench.s3;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Compares the SDK's HTTP clients for qcow2-s3's access pattern (see run.sh and docs/s3-http-client.md).
 *
 * <pre>
 * setup ENDPOINT                creates bucket "bench" and a 256 MiB random object "disk.qcow2"
 * run CLIENT ENDPOINT T0_MS     one measurement in this (fresh) JVM; T0_MS = wall clock just before
 *                               the launcher started java; prints one "key=value" line
 * report FILE                   medians per client of the lines in FILE, as a Markdown table
 * </pre>
 */
public final class HttpClientBench {
    static final String ACCESS_KEY = "bench-key";
    static final String SECRET_KEY = "bench-secret";
    static final String BUCKET = "bench";
    static final String KEY = "disk.qcow2";
    static final long OBJECT_SIZE = 256L << 20;
    static final int THREADS = 16;

    private HttpClientBench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "setup" -> setup(URI.create(args[1]));
            case "run" -> run(args[1], URI.create(args[2]), Long.parseLong(args[3]));
            case "report" -> report(Path.of(args[1]));
            default -> {
                System.err.println("usage: setup ENDPOINT | run CLIENT ENDPOINT T0_MS | report FILE");
                System.exit(2);
            }
        }
    }

    private static void setup(URI endpoint) throws IOException {
        Path tmp = Files.createTempFile("s3bench", ".bin");
        try {
            SplittableRandom rnd = new SplittableRandom(1);
            byte[] chunk = new byte[1 << 20];
            try (OutputStream out = Files.newOutputStream(tmp)) {
                for (long done = 0; done < OBJECT_SIZE; done += chunk.length) {
                    rnd.nextBytes(chunk);
                    out.write(chunk);
                }
            }
            // no HTTP client named: the SDK takes the one on the class path
            try (S3Client s3 = RangeReader.syncClient(null, endpoint)) {
                s3.createBucket(b -> b.bucket(BUCKET));
                s3.putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromFile(tmp));
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void run(String client, URI endpoint, long t0Millis) throws Exception {
        long mainMillis = System.currentTimeMillis();
        long mainNanos = System.nanoTime();
        Map<String, String> out = new LinkedHashMap<>();
        out.put("client", client);
        try (RangeReader reader = RangeReader.create(client, endpoint, BUCKET, KEY)) {
            long firstByte = reader.read(0, new byte[64 << 10], 64 << 10);
            long cpu = cpuMillis();
            out.put("jvm_to_main_ms", Long.toString(mainMillis - t0Millis));
            out.put("ttfb_ms", Long.toString(mainMillis + (firstByte - mainNanos) / 1_000_000 - t0Millis));
            // CPU time of this JVM: what the client costs, whatever else the 2 cores are doing
            out.put("ttfb_cpu_ms", Long.toString(cpu));
            double small = workload(reader, 2000, 64 << 10, 2);
            long cpuSmall = cpuMillis();
            out.put("small_s", String.format("%.3f", small));
            out.put("small_MiBps", String.format("%.0f", 2000 * 64 / 1024.0 / small));
            out.put("small_cpu_ms", Long.toString(cpuSmall - cpu));
            double large = workload(reader, 200, 4 << 20, 3);
            out.put("large_s", String.format("%.3f", large));
            out.put("large_MiBps", String.format("%.0f", 200 * 4 / large));
            out.put("large_cpu_ms", Long.toString(cpuMillis() - cpuSmall));
        }
        out.put("peak_rss_mib", Long.toString(peakRssKiB() / 1024));
        StringBuilder line = new StringBuilder();
        out.forEach((k, v) -> line.append(line.length() == 0 ? "" : " ").append(k).append('=').append(v));
        System.out.println(line);
    }

    /** {@code count} GETs of {@code len} bytes at random 64 KiB-aligned offsets from 16 threads; seconds. */
    private static double workload(RangeReader reader, int count, int len, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] offsets = new long[count];
        long slots = (OBJECT_SIZE - len) / (64 << 10);
        for (int i = 0; i < count; i++) {
            offsets[i] = rnd.nextLong(slots + 1) * (64 << 10);
        }
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            long start = System.nanoTime();
            List<Future<?>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                tasks.add(pool.submit(() -> {
                    byte[] buf = new byte[len];
                    for (int i; (i = next.getAndIncrement()) < count; ) {
                        reader.read(offsets[i], buf, len);
                    }
                    return null;
                }));
            }
            for (Future<?> f : tasks) {
                f.get();
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    /** User + system CPU time of this process so far (Linux clock ticks of 10 ms). */
    private static long cpuMillis() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    private static long peakRssKiB() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static void report(Path file) throws IOException {
        Map<String, List<Map<String, String>>> byClient = new LinkedHashMap<>();
        for (String l : Files.readAllLines(file)) {
            if (!l.startsWith("client=")) {
                continue;
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (String kv : l.trim().split(" ")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            byClient.computeIfAbsent(m.get("client"), c -> new ArrayList<>()).add(m);
        }
        String[] cols = {"ttfb_ms", "jvm_to_main_ms", "ttfb_cpu_ms", "small_MiBps", "small_cpu_ms",
            "large_MiBps", "large_cpu_ms", "peak_rss_mib"};
        System.out.println("| client | runs | time to first byte (ms) | of which JVM to main (ms) | CPU to first byte (ms)"
                + " | 2,000 × 64 KiB (MiB/s) | its client CPU (ms) | 200 × 4 MiB (MiB/s) | its client CPU (ms)"
                + " | peak RSS (MiB) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        byClient.forEach((client, runs) -> {
            StringBuilder row = new StringBuilder("| " + client + " | " + runs.size());
            for (String c : cols) {
                double[] v = runs.stream().mapToDouble(m -> Double.parseDouble(m.get(c))).sorted().toArray();
                double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
                row.append(String.format(" | %.0f (%.0f–%.0f)", median, v[0], v[v.length - 1]));
            }
            System.out.println(row.append(" |"));
        });
    }
}
