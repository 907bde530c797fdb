package io.qcow2j.bench;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Header;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.internal.format.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * L2 decoding: {@link Qcow2Image#extents} over a fully allocated image (every cluster a data
 * cluster; {@code qemu-img create -o preallocation=metadata}, so the file stays sparse) in 64 MiB
 * windows. {@code contiguous} keeps qemu's host layout (extents merge into one per table);
 * {@code shuffled} permutes the L2 entries, so every cluster is its own extent, as in an image
 * written in random order. {@code warm} caches every table; {@code cold} keeps one, so every pass
 * re-reads (from the page cache) and re-validates each table. The {@code clusters} counter is
 * decoded L2 entries per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class L2DecodeBenchmark {
    private static final long WINDOW = 64L << 20;

    @Param("65536")
    public int virtualMiB;
    @Param({"contiguous", "shuffled"})
    public String layout;
    @Param({"warm", "cold"})
    public String cache;

    private FixtureDir dir;
    private Qcow2Image image;
    private long size;
    private long clustersPerPass;
    private final List<Extent> out = new ArrayList<>();

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long clusters;
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        size = (long) virtualMiB << 20;
        String signature = "prealloc-" + virtualMiB + "M-" + layout;
        dir = FixtureDir.open("l2-" + signature);
        Path img = dir.path().resolve("full.qcow2");
        if (!dir.isComplete(signature)) {
            Qemu.require();
            dir.reset();
            Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=65536,preallocation=metadata",
                    img.toString(), Long.toString(size));
            if (layout.equals("shuffled")) {
                shuffle(img);
            }
            dir.markComplete(signature);
        }
        long cacheBytes = cache.equals("warm") ? 1L << 30 : 1;
        image = Qcow2Image.open(img, OpenOptions.defaults().withL2CacheBytes(cacheBytes));
        clustersPerPass = size / image.clusterSize();
    }

    /**
     * Permutes the data cluster offsets over all L2 entries. The set of allocated clusters is the
     * same, so refcounts stay right and the image stays valid; only the host layout changes.
     */
    static void shuffle(Path img) throws IOException {
        Header h;
        try (Qcow2Image i = Qcow2Image.open(img)) {
            h = i.header();
        }
        int cs = (int) h.clusterSize();
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer l1 = ByteBuffer.allocate(h.l1Size() * Layout.ENTRY_BYTES);
            ch.read(l1, h.l1TableOffset());
            List<Long> tables = new ArrayList<>();
            for (int i = 0; i < h.l1Size(); i++) {
                long off = l1.getLong(i * Layout.ENTRY_BYTES) & Layout.L1_OFFSET_MASK;
                if (off != 0) {
                    tables.add(off);
                }
            }
            int perTable = cs / Layout.ENTRY_BYTES;
            long[] entries = new long[tables.size() * perTable];
            ByteBuffer t = ByteBuffer.allocate(cs);
            for (int i = 0; i < tables.size(); i++) {
                t.clear();
                ch.read(t, tables.get(i));
                t.flip().asLongBuffer().get(entries, i * perTable, perTable);
            }
            SplittableRandom r = new SplittableRandom(7);
            for (int i = entries.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                long x = entries[i];
                entries[i] = entries[j];
                entries[j] = x;
            }
            for (int i = 0; i < tables.size(); i++) {
                t.clear();
                t.asLongBuffer().put(entries, i * perTable, perTable);
                ch.write(t, tables.get(i));
            }
            ch.force(true);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        image.close();
        dir.close();
    }

    @Benchmark
    public int extentsWholeDisk(Counters counters) throws IOException {
        int n = 0;
        for (long w = 0; w < size; w += WINDOW) {
            out.clear();
            image.extents(w, WINDOW, out);
            n += out.size();
        }
        counters.clusters += clustersPerPass;
        return n;
    }
}
