package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.qcow2j.core.CorruptDataException;
import io.qcow2j.core.Extent;
import io.qcow2j.core.ExtentReader;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.InvalidChainException;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one {@link FuzzCase} through everything a restore does with an image, and checks the
 * outcome: either success, or one of our {@link Qcow2Exception}s with no foreign exception inside
 * it; metadata errors before the target is created; the library reader and the restore pipeline
 * agreeing with each other; and an unchanged disk when only unused bytes were touched.
 */
final class FuzzHarness {
    /** What happened, for jqwik's statistics. */
    enum Outcome {
        ACCEPTED, REFUSED_METADATA, REFUSED_DATA
    }

    /** Restoring or reading the whole disk is skipped above this size (a header can claim anything). */
    private static final long VERIFY_FILE_LIMIT = 64L << 20;

    private final Path dir;
    private final AtomicLong counter = new AtomicLong();
    /** Bytes read and hashed at once: any multiple of the digest chunk. */
    private static final int BLOCK = 4 << 20;
    // direct: a heap buffer would make the JDK allocate a temporary direct one in every try's thread
    private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

    FuzzHarness(Path dir) {
        this.dir = dir;
    }

    /** Tries run so far. */
    long tries() {
        return counter.get();
    }

    Outcome run(FuzzCase c) throws IOException {
        long n = counter.incrementAndGet();
        Path img = dir.resolve("mutated-" + n + ".qcow2");
        Path target = dir.resolve("restored-" + n + ".raw");
        byte[] bytes = c.mutatedBytes();
        Files.write(img, bytes);
        try {
            return check(c, img, target, bytes);
        } catch (AssertionError e) {
            Path kept = keep(c, bytes);
            throw new AssertionError(e.getMessage() + "\n  case: " + c + "\n  mutated image kept at " + kept, e);
        } finally {
            Files.deleteIfExists(img);
            Files.deleteIfExists(target);
        }
    }

    private Outcome check(FuzzCase c, Path img, Path target, byte[] bytes) {
        FuzzSubject s = c.subject();
        boolean single = s.chain().size() == 1;
        ImageLayout.Use use = c.use();

        Result alone = readAlone(img, bytes.length);
        // re-reading the restored file is the costly part of a try: do it where content is asserted
        boolean verifyFile = use != ImageLayout.Use.USED || counter.get() % 32 == 0;
        Result restored = restore(s.chainWith(img), target, c.workers(), verifyFile);
        requireOurs("reading the image", alone.error);
        requireOurs("restoring", restored.error);

        if (use == ImageLayout.Use.UNUSED) {
            assertTrue(alone.error == null, () -> "a mutation of unused bytes was refused: " + trace(alone.error));
            assertTrue(restored.error == null, () -> "a mutation of unused bytes failed the restore: "
                    + trace(restored.error));
            assertEquals(s.expectedDigest(), restored.digest, "a mutation of unused bytes changed the disk");
        }
        if (use == ImageLayout.Use.NEUTRAL && restored.error == null) {
            assertEquals(s.expectedDigest(), restored.digest, "a refcount block mutation changed the disk");
        }

        if (restored.error instanceof InvalidImageException || restored.error instanceof InvalidChainException) {
            assertFalse(Files.exists(target), "a metadata error (" + restored.error.getMessage()
                    + ") was raised after the target was created");
        }
        if (alone.error instanceof InvalidImageException bad) {
            assertEquals(img.toString(), bad.resource(), "the error names another file: " + bad.getMessage());
            assertTrue(restored.error instanceof InvalidImageException,
                    () -> "the reader refused the image (" + bad.getMessage() + ") but the restore gave "
                            + describe(restored));
            assertEquals(bad.getMessage(), restored.error.getMessage(), "reader and restore disagree");
            return Outcome.REFUSED_METADATA;
        }
        assertFalse(restored.error instanceof InvalidImageException,
                () -> "the reader opened the image but the restore refused it: " + trace(restored.error));
        if (alone.error instanceof CorruptDataException bad) {
            if (single) {
                assertTrue(restored.error instanceof RestoreIncompleteException,
                        () -> "the reader found bad data (" + bad.getMessage() + ") but the restore gave "
                                + describe(restored));
            }
            if (restored.error != null) {
                assertTrue(restored.error instanceof RestoreIncompleteException, () -> trace(restored.error));
                RestoreIncompleteException ri = (RestoreIncompleteException) restored.error;
                assertTrue(ri.getCause() instanceof CorruptDataException, () -> "cause: " + trace(ri));
                assertTrue(ri.getMessage().contains("incomplete"), ri.getMessage());
                if (single && c.workers() == 1) {
                    assertEquals(bad.guestOffset(), ri.guestOffset(), "failing guest offset: " + ri.getMessage());
                }
                return Outcome.REFUSED_DATA;
            }
            return Outcome.ACCEPTED; // the bad cluster is hidden by a newer link
        }
        assertTrue(alone.error == null, () -> "unexpected error: " + trace(alone.error));
        assertTrue(restored.error == null, () -> "the reader read the whole image but the restore failed: "
                + trace(restored.error));
        if (single && alone.digest != null) {
            assertEquals(alone.digest, restored.digest, "reader and restore produced different disks");
        }
        return Outcome.ACCEPTED;
    }

    /** Outcome of one pipeline: a digest (null when the disk was too large to check) or an error. */
    private record Result(String digest, Throwable error) {
    }

    /** Open, validate, map, and read every allocated byte of the image on its own. */
    private Result readAlone(Path img, long fileSize) {
        try (Qcow2Image image = Qcow2Image.open(img)) {
            image.validateAllTables();
            long size = image.virtualSize();
            List<Extent> map = image.mapExtents(0, size);
            checkCoverage("mapExtents", map, size, image, fileSize);
            List<Extent> extents = image.extents(0, size);
            checkCoverage("extents", extents, size, image, fileSize);
            if (size > VERIFY_FILE_LIMIT) {
                try (ExtentReader r = new ExtentReader()) {
                    for (Extent e : extents) { // every stored byte still gets read
                        if (e.kind() == Extent.Kind.DATA || e.kind() == Extent.Kind.COMPRESSED) {
                            readExtent(r, image, e);
                        }
                    }
                }
                return new Result(null, null);
            }
            DiskDigest digest = new DiskDigest(size);
            try (ExtentReader r = new ExtentReader()) {
                int k = 0;
                for (long b = 0; b < size; b += BLOCK) {
                    int len = (int) Math.min(BLOCK, size - b);
                    while (k < extents.size() && extents.get(k).end() <= b) {
                        k++;
                    }
                    boolean stored = false;
                    for (int j = k; j < extents.size() && extents.get(j).guestOffset() < b + len; j++) {
                        Extent.Kind kind = extents.get(j).kind();
                        stored |= kind == Extent.Kind.DATA || kind == Extent.Kind.COMPRESSED;
                    }
                    if (!stored) {
                        continue; // all-zero chunks add nothing to the digest
                    }
                    // only the stored extents are read: the block starts as zeros
                    block.clear();
                    block.put(ZEROS.duplicate().limit(len)).flip();
                    for (int j = k; j < extents.size() && extents.get(j).guestOffset() < b + len; j++) {
                        Extent e = extents.get(j).slice(b, b + len);
                        if (e.kind() == Extent.Kind.DATA || e.kind() == Extent.Kind.COMPRESSED) {
                            r.read(image, e, block.slice((int) (e.guestOffset() - b), (int) e.length()));
                        }
                    }
                    digest.addRange(b, block, len);
                    if (b == 0) { // the positional API must give the same bytes
                        int head = Math.min(len, 64 << 10);
                        ByteBuffer check = ByteBuffer.allocate(head);
                        image.read(check, 0);
                        assertEquals(block.duplicate().limit(head), check.flip(), "Qcow2Image.read vs ExtentReader");
                    }
                }
            }
            return new Result(digest.value(), null);
        } catch (Throwable t) {
            return new Result(null, rethrowAssertion(t));
        }
    }

    private void readExtent(ExtentReader r, Qcow2Image image, Extent e) throws IOException {
        for (long p = e.guestOffset(); p < e.end(); p += BLOCK) {
            int len = (int) Math.min(BLOCK, e.end() - p);
            block.clear().limit(len);
            r.read(image, e.slice(p, p + len), block);
        }
    }

    private Result restore(List<Path> chain, Path target, int workers, boolean verifyFile) {
        try {
            RestoreResult r = Restore.run(chain, target, FuzzSubject.options(workers));
            assertEquals(Files.size(target), r.virtualSize(), "target size");
            if (verifyFile && r.virtualSize() <= VERIFY_FILE_LIMIT) {
                assertEquals(r.digest(), fileDigest(target, r.virtualSize()), "the reported digest is not the file's");
            }
            return new Result(r.digest(), null);
        } catch (Throwable t) {
            return new Result(null, rethrowAssertion(t));
        }
    }

    /** {@link DiskDigest#of(Path, long)}, reusing this harness's buffer instead of a fresh 4 MiB one per try. */
    private String fileDigest(Path file, long size) throws IOException {
        DiskDigest d = new DiskDigest(size);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long b = 0; b < size; b += BLOCK) {
                int len = (int) Math.min(BLOCK, size - b);
                block.clear().limit(len);
                while (block.hasRemaining()) {
                    if (ch.read(block, b + block.position()) < 0) {
                        fail("the restored file is shorter than " + size);
                    }
                }
                d.addRange(b, block.flip(), len);
            }
        }
        return d.value();
    }

    private static Throwable rethrowAssertion(Throwable t) {
        if (t instanceof AssertionError a) {
            throw a;
        }
        return t;
    }

    /** Extents must tile [0, size) and point inside the file. */
    private static void checkCoverage(String what, List<Extent> extents, long size, Qcow2Image image, long fileSize) {
        long pos = 0;
        for (Extent e : extents) {
            assertEquals(pos, e.guestOffset(), what + ": gap or overlap at " + pos);
            assertTrue(e.length() > 0, what + ": empty extent " + e);
            if (e.kind() == Extent.Kind.DATA) {
                assertTrue(e.hostOffset() >= image.clusterSize() && e.hostOffset() + e.length() <= fileSize, what + ": data extent outside the file: " + e);
            }
            pos = e.end();
        }
        assertEquals(size, pos, what + " does not reach the virtual size");
    }

    /** Only our exceptions may escape, and nothing but I/O failures may hide inside them. */
    private static void requireOurs(String what, Throwable t) {
        if (t == null) {
            return;
        }
        if (!(t instanceof Qcow2Exception)) {
            fail(what + " threw a foreign exception: " + trace(t));
        }
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (!(c instanceof IOException)) {
                fail(what + " wrapped a foreign exception: " + trace(t));
            }
        }
    }

    private static String describe(Result r) {
        return r.error == null ? "success" : trace(r.error);
    }

    private static String trace(Throwable t) {
        if (t == null) {
            return "none";
        }
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Saves a failing input under target/fuzz-failures so it can be replayed. */
    private static Path keep(FuzzCase c, byte[] bytes) {
        try {
            Path d = Path.of("target", "fuzz-failures");
            Files.createDirectories(d);
            Path p = d.resolve(c.subject().name().replace('/', '-') + "-" + Integer.toHexString(
                    java.util.Arrays.hashCode(bytes)) + ".qcow2");
            Files.write(p, bytes);
            return p.toAbsolutePath();
        } catch (IOException e) {
            return Path.of("(not saved: " + e.getMessage() + ")");
        }
    }
}
