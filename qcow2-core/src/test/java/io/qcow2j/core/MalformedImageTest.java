package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.core.corpus.MalformedCase;
import io.qcow2j.core.corpus.MalformedCase.Expected;
import io.qcow2j.core.corpus.MalformedCase.Stage;
import io.qcow2j.core.corpus.MalformedCorpus;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every {@link MalformedCorpus} case through open, {@code validateAllTables()}, map and a full
 * read: a rejected case must fail with exactly the expected typed exception, naming the file, the
 * structure and an offset, by the expected stage, without hanging or allocating far beyond the
 * file's size; an accepted case must read exactly like its base. Each case first proves it has
 * teeth: its unmutated base reads cleanly, and the mutation changed the file.
 */
class MalformedImageTest {

    /** Generous for a few-MiB image on a loaded 2-core machine; a hang takes forever. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What one pass over an image did. */
    record Outcome(Stage stage, Throwable error, String sha256, long allocatedByOpenAndValidate) {
        boolean ok() {
            return error == null;
        }
    }

    /** Open, validate every table, map and read all: the first failure and where it happened. */
    static Outcome exercise(ByteSource src, OpenOptions options) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        long allocated = -1;
        Stage stage = Stage.OPEN;
        try (Qcow2Image img = Qcow2Image.open(src, options)) {
            stage = Stage.VALIDATE;
            img.validateAllTables();
            allocated = mx.getThreadAllocatedBytes(tid) - before;
            stage = Stage.READ;
            TestDataConformanceTest.assertContiguous(img.mapExtents(0, img.virtualSize()), img.virtualSize());
            return new Outcome(stage, null, contentDigest(img), allocated);
        } catch (Throwable t) {
            if (allocated < 0) {
                allocated = mx.getThreadAllocatedBytes(tid) - before;
            }
            return new Outcome(stage, t, null, allocated);
        } finally {
            try {
                src.close(); // a failed open leaves the source to its caller
            } catch (IOException ignored) {
                // already closed by the image
            }
        }
    }

    /**
     * A digest of the guest content that costs only what is allocated, so a 1 TiB image is cheap:
     * every non-zero 512-byte block with its guest offset. Zero blocks contribute nothing, so two
     * images with the same content digest alike however they store their zeros.
     */
    static String contentDigest(Qcow2Image img) throws IOException {
        MessageDigest md = Sha256.digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        byte[] zeros = new byte[512];
        try (ExtentReader r = new ExtentReader()) {
            for (Extent e : img.extents(0, img.virtualSize())) {
                if (e.kind() == Extent.Kind.ZERO || e.kind() == Extent.Kind.UNALLOCATED) {
                    continue;
                }
                for (long off = e.guestOffset(); off < e.end(); off += buf.capacity()) {
                    int n = (int) Math.min(buf.capacity(), e.end() - off);
                    buf.clear().limit(n);
                    TestDataConformanceTest.read(r, img, buf, off);
                    byte[] a = buf.array();
                    for (int b = 0; b < n; b += 512) {
                        int len = Math.min(512, n - b);
                        if (Arrays.mismatch(a, b, b + len, zeros, 0, len) >= 0) {
                            md.update(ByteBuffer.allocate(8).putLong(0, off + b).array());
                            md.update(a, b, len);
                        }
                    }
                }
            }
        }
        return Sha256.hex(md);
    }

    static Outcome exercise(Path image, OpenOptions options) throws IOException {
        return exercise(FileByteSource.open(image), options);
    }

    @Test
    void corpusIsWellFormed() {
        List<MalformedCase> all = MalformedCorpus.cases();
        Set<String> names = new HashSet<>();
        for (MalformedCase c : all) {
            assertTrue(names.add(c.name()), "duplicate " + c.name());
        }
        assertTrue(MalformedCorpus.committed().size() >= 100, "committed cases: " + MalformedCorpus.committed().size());
        assertTrue(all.stream().filter(c -> !c.rejected()).count() >= 10, "near misses that must be accepted");
        // every kind of expectation is exercised without qemu
        for (Stage s : Stage.values()) {
            assertTrue(MalformedCorpus.committed().stream().anyMatch(
                    c -> c.expected() instanceof Expected.Rejected r && r.stage() == s), "no committed case for " + s);
        }
    }

    @TestFactory
    Stream<DynamicTest> corpus(@TempDir Path tmp) {
        return MalformedCorpus.cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> run(c, tmp)));
    }

    private static void run(MalformedCase c, Path tmp) throws IOException {
        assumeTrue(c.runnable(), Qemu.unavailableReason());
        MalformedCase.Prepared p = c.prepare(tmp.resolve(c.fileStem()));
        try {
            // teeth: the base is a good image, and the mutation did something to it
            Outcome base = assertTimeoutPreemptively(TIMEOUT, () -> exercise(p.base(), OpenOptions.defaults()),
                    "the base of " + c.name() + " hangs");
            if (!base.ok()) {
                fail("the unmutated base of " + c.name() + " does not read cleanly", base.error());
            }
            assertNotEquals(-1L, Files.mismatch(p.base(), p.image()), "the mutation left the file unchanged");

            Outcome o = assertTimeoutPreemptively(TIMEOUT, () -> exercise(p.image(), c.options()),
                    c.name() + " hangs");
            // the file's own metadata, decoded, plus a few clusters of buffers; a hostile header that
            // made us allocate what it claims (a 32 MiB L1, an 8 MiB refcount table) would exceed it
            long cs;
            try (Qcow2Image b = Qcow2Image.open(p.base())) {
                cs = b.clusterSize();
            }
            long budget = 4 * Math.max(Files.size(p.base()), Files.size(p.image())) + 8 * cs + (1L << 20);
            assertTrue(o.allocatedByOpenAndValidate() <= budget, c.name() + ": open and validation allocated "
                    + o.allocatedByOpenAndValidate() + " bytes, more than " + budget);

            if (c.expected() instanceof Expected.Rejected r) {
                assertRejected(c, r, p, o);
            } else {
                if (!o.ok()) {
                    fail(c.name() + " must be accepted", o.error());
                }
                assertEquals(base.sha256(), o.sha256(), c.name() + ": reads differently from its base");
            }
        } finally {
            Files.deleteIfExists(p.base());
            Files.deleteIfExists(p.image());
        }
    }

    private static void assertRejected(MalformedCase c, Expected.Rejected r, MalformedCase.Prepared p, Outcome o) {
        if (o.ok()) {
            fail(c.name() + ": accepted, must be refused with " + r);
        }
        if (!(o.error() instanceof Qcow2Exception q)) {
            throw new AssertionError(c.name() + ": an exception other than ours escaped", o.error());
        }
        String got = q.getClass().getSimpleName() + " at " + o.stage() + ": " + q.getMessage();
        if (!r.type().isInstance(q)) {
            throw new AssertionError(c.name() + ": expected " + r.type().getSimpleName() + ", got " + got, q);
        }
        assertTrue(o.stage().ordinal() <= r.stage().ordinal(), c.name() + ": refused only at " + o.stage()
                + ", must be by " + r.stage() + " (" + got + ")");
        assertEquals(p.image().toString(), q.resource(), "the error names the file: " + got);
        assertTrue(q.getMessage().startsWith(p.image().toString()), "message starts with the file: " + got);
        assertEquals(r.structure(), q.structure(), c.name() + ": structure of " + got);
        assertTrue(q.reason().contains(r.reason()), c.name() + ": reason must contain '" + r.reason() + "': " + got);
        assertTrue(q.offset() >= 0, c.name() + ": the error has an offset: " + got);
        if (q instanceof CorruptDataException d) {
            assertTrue(p.guestOffset().isPresent(), c.name() + ": the corpus must say which guest offset is bad");
            assertEquals(p.guestOffset().getAsLong(), d.guestOffset(), c.name() + ": guest offset of " + got);
            assertTrue(q.reason().contains("guest offset " + d.guestOffset()), got);
        }
    }

    // --- truncation sweep ------------------------------------------------------------------------

    /** The first {@code size} bytes of another source: a cut file, without copying it. */
    record Truncated(ByteSource inner, long size) implements ByteSource {
        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (position >= size) {
                return -1;
            }
            ByteBuffer part = dst.slice(dst.position(), (int) Math.min(dst.remaining(), size - position));
            int n = inner.read(part, position);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCutIsAnErrorOrChangesNothing() {
        List<String> images = List.of("v3-c512", "v2-c512", "compressed-writes", "zero-clusters", "compressed-zstd",
                "backing-name", "ext-l2-c32768", "v3-c65536", "v2-c65536", "chain/inc2");
        return images.stream().map(name -> DynamicTest.dynamicTest(name, () -> sweep(name)));
    }

    /**
     * Cuts a committed image at many points (every structure boundary ±1 plus seeded random
     * points): each cut either fails with our exception or, when it only removed bytes the image
     * never reads, reads back exactly as before. Never silent zeros, never a foreign exception.
     */
    private static void sweep(String name) throws IOException {
        Path file = TestData.image(name);
        long size = Files.size(file);
        Outcome whole = exercise(FileByteSource.open(file), OpenOptions.defaults());
        assertTrue(whole.ok(), name + " reads cleanly");
        String expected = whole.sha256();
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 4L, 8L, 71L, 72L, 100L, 103L, 104L, 111L, 112L, size - 1));
        try (Qcow2Image img = Qcow2Image.open(file)) {
            long cs = img.clusterSize();
            for (long b = cs; b < size; b += cs) {
                cuts.add(b - 1);
                cuts.add(b + 1);
            }
        }
        Random rnd = new Random(name.hashCode());
        for (int i = 0; i < 24; i++) {
            cuts.add(rnd.nextLong(size));
        }
        List<Long> errors = new ArrayList<>();
        List<Long> harmless = new ArrayList<>();
        for (long cut : cuts) {
            if (cut < 0 || cut >= size) {
                continue;
            }
            Outcome o = assertTimeoutPreemptively(TIMEOUT,
                    () -> exercise(new Truncated(FileByteSource.open(file), cut), OpenOptions.defaults()));
            if (o.ok()) {
                assertEquals(expected, o.sha256(), name + " cut at " + cut + " of " + size
                        + " reads without error but differently: silent zeros");
                harmless.add(cut);
            } else if (o.error() instanceof Qcow2Exception q) {
                assertEquals(file.toString(), q.resource());
                assertTrue(q.structure() != null && !q.structure().isEmpty(), "no structure: " + q.getMessage());
                errors.add(cut);
            } else {
                throw new AssertionError(name + " cut at " + cut + ": an exception other than ours", o.error());
            }
        }
        System.out.printf("truncation sweep %s (%d bytes): %d cuts refused, %d harmless %s%n", name, size,
                errors.size(), harmless.size(), harmless);
        assertTrue(errors.size() > harmless.size(), name + ": most cuts must be refused");
    }
}
