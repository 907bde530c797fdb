package io.qcow2j.restore;

import static io.qcow2j.restore.ModelChecks.assertMapMatches;
import static io.qcow2j.restore.ModelChecks.assertRestoreMatches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.RemoteLikeSource;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * Random histories on random chains, written without qemu by {@link ChainModel#write}: the composed
 * map and the restored disk must equal the {@link ChainModel}'s.
 */
class ComposerModelPropertyTest {
    /** Sizes are in sectors so shrinking lands on small, readable numbers. */
    private static final int MAX_SECTORS = 4096; // 2 MiB

    /** One guest operation on one image. */
    record Op(int kind, int sector, int sectors, long seed) {
        void apply(Image img) {
            long off = (long) sector * ChainModel.SECTOR % img.virtualSize();
            long len = (long) sectors * ChainModel.SECTOR;
            switch (kind) {
                case 0, 1 -> img.write(off, len, seed); // writes twice as likely as the rest
                case 2 -> img.zero(off, len);
                default -> img.discard(off, len);
            }
        }
    }

    /** Builds the model of a generated chain. */
    static ChainModel model(List<ImageSpec> specs) {
        return new ChainModel(specs.stream().map(ImageSpec::build).toList());
    }

    /** Geometry and history of one image. */
    record ImageSpec(int clusterBits, boolean extendedL2, int sizeSectors, List<Op> ops) {
        Image build() {
            boolean ext = extendedL2 && clusterBits >= 14;
            Image img = new Image(clusterBits, ext, (long) sizeSectors * ChainModel.SECTOR);
            ops.forEach(o -> o.apply(img));
            return img;
        }
    }

    /** Random chains of 1..8 images, each 512 B..2 MiB with a random cluster size and history. */
    static Arbitrary<List<ImageSpec>> chains() {
        // jqwik biases numbers towards small values: without uniform sizes most disks would be a few sectors
        RandomDistribution uniform = RandomDistribution.uniform();
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, MAX_SECTORS - 1).withDistribution(uniform),
                Arbitraries.integers().between(1, 1024), Arbitraries.longs()).as(Op::new);
        Arbitrary<Integer> sectors = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.integers().between(1, 64)),
                Tuple.of(5, Arbitraries.integers().between(65, MAX_SECTORS).withDistribution(uniform)));
        Arbitrary<ImageSpec> image = Combinators.combine(Arbitraries.integers().between(9, 21).withDistribution(uniform),
                Arbitraries.of(false, true), sectors, op.list().ofMaxSize(6)).as(ImageSpec::new);
        return image.list().ofMinSize(1).ofMaxSize(8);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<List<ImageSpec>, Boolean>> chainsAndLayout() {
        return Combinators.combine(chains(), Arbitraries.of(false, true)).as(Tuple::of);
    }

    /** Checks one generated chain, written to a scratch directory. */
    @FunctionalInterface
    interface WrittenChainCheck {
        void check(ChainModel model, List<Path> files, Path dir) throws IOException;
    }

    /** Writes the chain {@code input} describes and runs {@code check} on it, then deletes it. */
    static void withWrittenChain(Tuple.Tuple2<List<ImageSpec>, Boolean> input, WrittenChainCheck check)
            throws IOException {
        ChainModel model = model(input.get1());
        Path dir = Files.createTempDirectory("qcow2j-model");
        try {
            check.check(model, model.write(dir, input.get2()), dir);
        } finally {
            ModelChecks.deleteTree(dir);
        }
    }

    @Property(tries = 150)
    void restoreAndMapEqualTheModel(@ForAll("chainsAndLayout") Tuple.Tuple2<List<ImageSpec>, Boolean> input)
            throws IOException {
        withWrittenChain(input, (model, files, dir) -> {
            assertMapMatches(model, files);
            assertRestoreMatches(model, files, dir.resolve("disk.raw"), RestoreOptions.builder().workers(2).build());
        });
    }

    /**
     * The same chains read as object storage reads them (the first 256 KiB at once, whole L2
     * tables, a window's L2 lookups on several threads): the disk must not change.
     */
    @Property(tries = 60)
    void remoteSourcesRestoreAsTheModel(@ForAll("chainsAndLayout") Tuple.Tuple2<List<ImageSpec>, Boolean> input)
            throws IOException {
        withWrittenChain(input, (model, files, dir) -> {
            List<RemoteLikeSource> sources = new ArrayList<>();
            for (Path f : files) {
                sources.add(RemoteLikeSource.open(f));
            }
            Path target = dir.resolve("disk.raw");
            // a small L2 budget: windows then read slices again while the restore runs
            ChainOptions options = ChainOptions.defaults().withOpen(OpenOptions.defaults().withL2CacheBytes(4096));
            try (Chain chain = Chain.of(sources, options)) {
                RestoreResult r = Restore.of(chain, target, RestoreOptions.builder().workers(2).build()).run();
                ModelChecks.assertDiskEquals(model, target);
                assertEquals(DiskDigest.of(target, model.virtualSize()), r.digest());
            }
            assertTrue(sources.stream().allMatch(s -> s.reads() > 0), "every image was read through its source");
        });
    }
}
