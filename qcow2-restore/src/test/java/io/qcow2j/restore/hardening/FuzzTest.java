package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzing (issue 6, item 3): mutated copies of the committed test images, opened, validated,
 * mapped, read and restored, must either work or fail with one of our typed errors, within a
 * bounded time and allocation, and must restore the unmutated disk when only unused bytes changed.
 * Needs no qemu: the images are in {@code testdata/}.
 *
 * <p>The default run makes 10,000 tries (about 90 s on two busy cores). A long local campaign,
 * which prints its progress every 10,000 tries:
 *
 * <pre>
 * mvn -B -pl qcow2-restore -am test -Dtest='FuzzTest*' -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dqcow2j.fuzz.tries=1000000
 * </pre>
 *
 * A failing input is saved under {@code qcow2-restore/target/fuzz-failures/} (open it with
 * {@code qcow2-restore info} or replay it in {@link FuzzRegressionTest}); jqwik prints the seed,
 * and the next run tries the last failing sample first.
 */
class FuzzTest {
    /** Per-try wall-clock bound: a small image must never take long, whatever its bytes. */
    static final Duration TRY_TIMEOUT = Duration.ofSeconds(5);
    /** Per-try heap allocation bound, all threads together. */
    static final long TRY_ALLOCATION_LIMIT = 256L << 20;

    private static Path dir;
    private static FuzzHarness harness;

    @BeforeContainer
    static void setUp() throws IOException {
        Path shm = Path.of("/dev/shm");
        // a RAM-backed directory keeps the restore's final fsync cheap
        dir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "qcow2j-fuzz-")
                : Files.createTempDirectory("qcow2j-fuzz-");
        harness = new FuzzHarness(dir);
        FuzzSubject.all(); // load and check the baselines outside the timed tries
    }

    @AfterContainer
    static void tearDown() throws IOException {
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Property(tries = FuzzTries.DEFAULT, shrinking = ShrinkingMode.BOUNDED)
    @AddLifecycleHook(FuzzTries.class)
    void mutatedImagesWorkOrFailWithOurErrors(@ForAll("cases") FuzzCase c) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getTotalThreadAllocatedBytes();
        FuzzHarness.Outcome outcome = assertTimeoutPreemptively(TRY_TIMEOUT, () -> harness.run(c),
                () -> "try took longer than " + TRY_TIMEOUT + ": " + c);
        long allocated = threads.getTotalThreadAllocatedBytes() - before;
        assertTrue(allocated < TRY_ALLOCATION_LIMIT, () -> "try allocated " + allocated + " bytes: " + c);

        if (harness.tries() % 10_000 == 0) { // a long campaign shows how far it got
            System.out.printf("fuzz: %,d tries so far%n", harness.tries());
        }
        Statistics.label("outcome").collect(outcome);
        Statistics.label("mutation touches").collect(c.use());
        Statistics.label("outcome").coverage(cov -> {
            // a fuzzer whose every input is refused at the header would prove little
            cov.check(FuzzHarness.Outcome.ACCEPTED).percentage(p -> p >= 10);
            cov.check(FuzzHarness.Outcome.REFUSED_METADATA).percentage(p -> p >= 10);
        });
        Statistics.label("mutation touches").coverage(cov ->
                cov.check(ImageLayout.Use.UNUSED).percentage(p -> p >= 3));
    }

    @Provide
    Arbitrary<FuzzCase> cases() {
        return FuzzArbitraries.cases();
    }
}
