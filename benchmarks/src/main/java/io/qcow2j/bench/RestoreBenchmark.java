package io.qcow2j.bench;

import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * End to end: {@link Restore#run} (open and validate the chain, compose, read, write, force) of a
 * generated chain into a file. {@code new}: the target is deleted before every invocation, so it
 * is created sparse; {@code existing}: the previous invocation's output is overwritten, zeros
 * included. The file is forced to disk inside the measured time, as the CLI does; {@code direct}
 * writes it past the page cache instead, {@code releasePageCache=false} leaves it cached.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class RestoreBenchmark {
    @Param("1024")
    public int virtualMiB;
    /** Full image (50% allocated) plus this many incrementals of 3% each. */
    @Param("10")
    public int incrementals;
    /** "none", or "zlib"/"zstd" for a compressed full image of text-like data. */
    @Param("none")
    public String compression;
    /** Worker threads; 0 means the default (number of cores). */
    @Param("0")
    public int workers;
    @Param({"new", "existing"})
    public String target;
    /** Write with {@code O_DIRECT} ({@code --direct}); the default restore goes through the page cache. */
    @Param("false")
    public boolean direct;
    /**
     * Drop the target's pages from the page cache once flushed (the default); false keeps them
     * cached, as restores did before {@code RestoreOptions.releasePageCache}.
     */
    @Param("true")
    public boolean releasePageCache;

    private FixtureDir dir;
    private List<Path> images;
    private Path out;
    private RestoreOptions options;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        ChainSpec spec = ChainSpec.uncompressed((long) virtualMiB << 20, 0.5, incrementals, 0.03)
                .withCompression(compression);
        dir = FixtureDir.open("restore-" + spec.signature());
        images = ChainBuilder.build(spec, dir);
        out = dir.path().resolve("restored.raw");
        Files.deleteIfExists(out);
        if (target.equals("existing")) {
            try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
                f.setLength((long) virtualMiB << 20);
            }
        }
        RestoreOptions.Builder b = RestoreOptions.builder().directIo(direct).releasePageCache(releasePageCache);
        if (workers > 0) {
            b.workers(workers);
        }
        options = b.build();
    }

    @Setup(Level.Invocation)
    public void clearTarget() throws IOException {
        if (target.equals("new")) {
            Files.deleteIfExists(out);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.deleteIfExists(out);
        dir.close();
    }

    @Benchmark
    public String restore() throws IOException {
        RestoreResult r = Restore.run(images, out, options);
        return r.digest();
    }
}
