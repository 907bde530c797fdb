package io.qcow2j.bench;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
 * Chain composition alone: {@link Composer#compose} over the whole disk in restore-sized windows,
 * on a deep chain with scattered changes (L2 tables cached, no data read). The primary score is
 * whole-disk passes per second; the {@code extents} counter is composed extents per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ComposeBenchmark {
    /** Chain length (full + incrementals). */
    @Param("100")
    public int links;
    /** Virtual disk size in MiB (full 50% allocated, each incremental changes 0.5% of it). */
    @Param("1024")
    public int virtualMiB;
    /** Guest bytes composed per call, as the restore composes one window at a time. */
    @Param("64")
    public int windowMiB;

    private FixtureDir dir;
    private Chain chain;
    private Composition composer;
    private long size;
    private long window;

    /** Composed extents, reported as a rate next to the primary score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long extents;
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        ChainSpec spec = ChainSpec.uncompressed((long) virtualMiB << 20, 0.5, links - 1, 0.005);
        dir = FixtureDir.open("compose-" + spec.signature());
        List<Path> images = ChainBuilder.build(spec, dir);
        chain = Chain.open(images, OpenOptions.defaults());
        composer = new Composition(chain.images());
        size = composer.virtualSize();
        window = (long) windowMiB << 20;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        chain.close();
        dir.close();
    }

    @Benchmark
    public long composeWholeDisk(Counters counters) throws IOException {
        long n = 0;
        long bytes = 0;
        for (long w = 0; w < size; w += window) {
            List<ComposedExtent> extents = composer.compose(w, window);
            n += extents.size();
            for (ComposedExtent e : extents) {
                bytes += e.length();
            }
        }
        counters.extents += n;
        return bytes;
    }
}
