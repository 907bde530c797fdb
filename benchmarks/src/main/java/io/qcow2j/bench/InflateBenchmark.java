package io.qcow2j.bench;

import io.qcow2j.core.Extent;
import io.qcow2j.core.ExtentReader;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.internal.compress.ClusterDecompressor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Compressed cluster inflation on real qemu-compressed clusters of text-like data
 * ({@code qemu-img convert -c}, every cluster compressed). Scores are clusters (64 KiB) per second;
 * multiply by 0.0655 for MB/s. {@code inflate} is {@link ExtentReader#read} of whole clusters into a
 * direct buffer (positional read of the compressed bytes from the page cache + decompression);
 * {@code decompressOnly} feeds {@link ClusterDecompressor} bytes already in memory. Run with
 * {@code -t 2} for both cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class InflateBenchmark {
    static final int BATCH = 64;

    @Param({"zlib", "zstd"})
    public String compression;
    /** Size of the compressed image's data in MiB. */
    @Param("64")
    public int dataMiB;

    private FixtureDir dir;
    Qcow2Image image;
    List<Extent> clusters;

    /** Per-thread reader, decompressor and buffers, reused as a restore worker reuses them. */
    @State(Scope.Thread)
    public static class Worker {
        ExtentReader reader;
        ClusterDecompressor decompressor;
        ByteBuffer cluster;
        ByteBuffer[] compressed;
        int next;

        @Setup(Level.Trial)
        public void setup(InflateBenchmark b) throws IOException {
            int cs = (int) b.image.clusterSize();
            reader = new ExtentReader();
            decompressor = ClusterDecompressor.forType(b.image.header().compressionType());
            cluster = ByteBuffer.allocateDirect(cs);
            compressed = new ByteBuffer[b.clusters.size()];
            for (int i = 0; i < compressed.length; i++) {
                var d = b.clusters.get(i).compressed();
                long len = Math.min(d.length(), b.image.fileSize() - d.hostOffset());
                ByteBuffer c = ByteBuffer.allocateDirect((int) len);
                b.image.source().readFully(c, d.hostOffset(), "compressed cluster");
                compressed[i] = c.flip();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
            decompressor.close();
        }
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        ChainSpec spec = ChainSpec.uncompressed((long) dataMiB << 20, 1.0, 0, 0).withCompression(compression);
        dir = FixtureDir.open("inflate-" + spec.signature());
        Path full = ChainBuilder.build(spec, dir).get(0);
        image = Qcow2Image.open(full);
        clusters = new ArrayList<>();
        for (Extent e : image.extents(0, image.virtualSize())) {
            if (e.kind() == Extent.Kind.COMPRESSED) {
                clusters.add(e);
            }
        }
        if (clusters.size() < BATCH) {
            throw new IllegalStateException("expected compressed clusters in " + full + ", found " + clusters.size());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        image.close();
        dir.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long inflate(Worker w) throws IOException {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            Extent e = clusters.get(w.next);
            w.next = (w.next + 1) % clusters.size();
            w.cluster.clear();
            w.reader.read(image, e, w.cluster);
            sum += w.cluster.get(w.cluster.position() - 1);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long decompressOnly(Worker w) {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            ByteBuffer src = w.compressed[w.next].duplicate();
            w.next = (w.next + 1) % w.compressed.length;
            w.cluster.clear();
            String err = w.decompressor.decompress(src, w.cluster);
            if (err != null) {
                throw new IllegalStateException(err);
            }
            sum += w.cluster.get(w.cluster.capacity() - 1);
        }
        return sum;
    }
}
