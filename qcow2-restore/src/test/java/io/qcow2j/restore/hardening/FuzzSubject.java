package io.qcow2j.restore.hardening;

import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A committed test image (or one link of the committed chain) that the fuzzer mutates, with what
 * the unmutated chain restores to.
 *
 * @param name           testdata name of the mutated image, e.g. {@code "v3-c4096"} or {@code "chain/inc1"}
 * @param chain          the chain restored, oldest first (a single image for top-level images)
 * @param mutated        index in {@code chain} of the image the fuzzer mutates
 * @param base           the unmutated bytes of that image
 * @param layout         which of its bytes the reader depends on
 * @param expectedDigest the restore digest of the unmutated chain
 */
record FuzzSubject(String name, List<Path> chain, int mutated, byte[] base, ImageLayout layout,
        String expectedDigest) {

    /** Every committed image alone, and each link of the committed chain. */
    static List<FuzzSubject> all() {
        return Loaded.ALL;
    }

    /** The chain with the mutated image replaced by {@code replacement}. */
    List<Path> chainWith(Path replacement) {
        List<Path> out = new ArrayList<>(chain);
        out.set(mutated, replacement);
        return out;
    }

    @Override
    public String toString() {
        return name;
    }

    private static final class Loaded {
        static final List<FuzzSubject> ALL = load();

        private static List<FuzzSubject> load() {
            try {
                Path scratch = Files.createTempDirectory("qcow2j-fuzz-baseline-");
                try {
                    List<FuzzSubject> out = new ArrayList<>();
                    for (String name : TestData.imageNames()) {
                        List<Path> chain = List.of(TestData.image(name));
                        out.add(subject(name, chain, 0, baseline(chain, scratch, TestData.expectedSha256(name))));
                    }
                    List<Path> chain = TestData.chain();
                    String chainDigest = baseline(chain, scratch, TestData.chainSha256());
                    for (int i = 0; i < chain.size(); i++) {
                        out.add(subject(TestData.chainNames().get(i), chain, i, chainDigest));
                    }
                    return List.copyOf(out);
                } finally {
                    Files.deleteIfExists(scratch.resolve("baseline.raw"));
                    Files.deleteIfExists(scratch);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static FuzzSubject subject(String name, List<Path> chain, int mutated, String digest)
                throws IOException {
            byte[] base = Files.readAllBytes(chain.get(mutated));
            return new FuzzSubject(name, chain, mutated, base, ImageLayout.of(base), digest);
        }

        /**
         * Restores the unmutated chain and checks it against qemu's sha256, so every "identical
         * output" assertion of the fuzzer compares with a disk qemu agrees with.
         */
        private static String baseline(List<Path> chain, Path scratch, String qemuSha256) throws IOException {
            Path raw = scratch.resolve("baseline.raw");
            Files.deleteIfExists(raw);
            RestoreResult r = Restore.run(chain, raw, options(1));
            String sha = Sha256.of(raw);
            if (!sha.equals(qemuSha256)) {
                throw new IllegalStateException("baseline restore of " + chain + " has sha256 " + sha
                        + ", qemu says " + qemuSha256);
            }
            if (!DiskDigest.of(raw, r.virtualSize()).equals(r.digest())) {
                throw new IllegalStateException("baseline restore of " + chain + ": reported digest differs from file");
            }
            Files.delete(raw);
            return r.digest();
        }
    }

    /**
     * The fuzzer's restore options: a lone incremental (testdata/backing-name.qcow2) is restored as
     * given; the chain-order rule has tests of its own, the fuzzer exercises the format.
     */
    static RestoreOptions options(int workers) {
        return RestoreOptions.builder().workers(workers).allowBackingBase(true).build();
    }
}
