package io.qcow2j.cli.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.corpus.MalformedCase;
import io.qcow2j.core.corpus.MalformedCorpus;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every case of the malformed-image corpus through {@code qcow2-restore restore --output NEW}:
 * metadata errors exit 3 with one {@code error:} line naming the file and the problem, no stack
 * trace, and no target created; data errors found while streaming exit 4 with the guest offset;
 * accepted near misses restore the base image's disk.
 */
class CliCorpusTest {
    @TempDir
    static Path tmp;

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseThroughTheCli() {
        return MalformedCorpus.cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> run(c)));
    }

    private static void run(MalformedCase c) throws Exception {
        Assumptions.assumeTrue(c.runnable(), Qemu.unavailableReason());
        OpenOptions o = c.options();
        Assumptions.assumeTrue(o.l2CacheBytes() == OpenOptions.defaults().l2CacheBytes(),
                "the CLI has no option for the L2 cache size this case opens with");
        MalformedCase.Prepared p = c.prepare(tmp.resolve(c.fileStem()));
        Path target = p.image().resolveSibling(c.fileStem() + ".raw");
        // a lone image that names a backing file (accepted by the format) is a deliberate partial
        // chain here; the order rule has tests of its own
        List<String> args = new ArrayList<>(List.of("restore", "--progress", "none", "--allow-backing-base"));
        if (o.allowCorrupt()) {
            args.add("--force-corrupt");
        }
        args.addAll(List.of("--output", target.toString(), p.image().toString()));
        CliRun run = CliRun.cli(args);
        int rc = run.exit();
        String e = run.err();

        if (c.expected() instanceof MalformedCase.Expected.Rejected r) {
            assertEquals("", run.out(), "no summary on stdout");
            List<String> errors = e.lines().filter(l -> l.startsWith("error:")).toList();
            assertEquals(1, errors.size(), "exactly one error line:\n" + e);
            String line = errors.get(0);
            assertFalse(e.contains("\tat ") || e.contains("Exception"), "stack trace or class name:\n" + e);
            assertFalse(e.contains("digest"), "a digest was claimed:\n" + e);
            assertTrue(line.contains(p.image().toString()), "the error must name the file: " + line);
            assertTrue(line.contains(r.reason()), "expected '" + r.reason() + "' in: " + line);
            if (r.stage() == MalformedCase.Stage.READ) {
                assertEquals(4, rc, "a data error while writing: exit 4; " + line);
                assertTrue(line.contains("incomplete"), line);
                p.guestOffset().ifPresent(g -> assertTrue(line.contains("guest offset " + g), line));
            } else {
                assertEquals(3, rc, "a metadata error: exit 3; " + line);
                assertFalse(Files.exists(target), "the target was created for an image refused before writing");
            }
        } else {
            assertEquals(0, rc, "an accepted case must restore: " + e);
            assertTrue(run.out().startsWith("restored "), run.out());
            Path baseRaw = p.image().resolveSibling(c.fileStem() + ".base.raw");
            RestoreResult base = Restore.run(List.of(p.base()), baseRaw,
                    RestoreOptions.builder().open(o).allowBackingBase(true).build());
            assertEquals(base.digest(), DiskDigest.of(target, base.virtualSize()), "accepted, but not the base's disk");
            Files.delete(baseRaw);
        }
        Files.deleteIfExists(target);
    }
}
