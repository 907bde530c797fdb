package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.qcow2j.core.Extent;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.State;
import io.qcow2j.restore.model.ChainModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Assertions comparing the library's view of a written chain with the {@link ChainModel}. */
public final class ModelChecks {
    private ModelChecks() {
    }

    /**
     * The composed map tiles the disk, every sector is decided by the image the model names, with
     * the kind the model says (data, or zero), and the per-image byte counts match.
     */
    static ChainMap assertMapMatches(ChainModel model, List<Path> files) throws IOException {
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            ChainMap map = ChainMap.of(chain.images());
            long pos = 0;
            for (ComposedExtent c : map.extents()) {
                assertEquals(pos, c.start(), "extents must tile the disk without gaps: " + c);
                if (c.kind() == Extent.Kind.UNALLOCATED || c.kind() == Extent.Kind.COMPRESSED) {
                    fail("unexpected kind in a chain without compression: " + c);
                }
                for (long s = c.start(); s < c.end(); s += ChainModel.SECTOR) {
                    int owner = model.owner(s);
                    if (owner != c.image()) {
                        fail("guest offset " + s + ": decided by image " + c.image() + " (" + c + "), model says "
                                + owner);
                    }
                    ChainModel.Image img = owner < 0 ? null : model.images().get(owner);
                    boolean data = img != null && s < img.virtualSize() && img.stateAt(s) == State.DATA;
                    assertEquals(data ? Extent.Kind.DATA : Extent.Kind.ZERO, c.kind(), "guest offset " + s + " in " + c);
                }
                pos = c.end();
            }
            assertEquals(model.virtualSize(), pos, "extents must cover the whole disk");
            assertArrayEquals(model.contributed(), map.contributed(), "bytes contributed per image");
            long sum = map.unallocatedBytes();
            for (long b : map.contributed()) {
                sum += b;
            }
            assertEquals(model.virtualSize(), sum, "contributed + undescribed bytes = virtual size");
            assertEquals((long) model.undescribed().cardinality() * ChainModel.SECTOR, map.unallocatedBytes());
            return map;
        }
    }

    /** The raw file holds exactly the model's disk. */
    static void assertDiskEquals(ChainModel model, Path raw) throws IOException {
        assertEquals(model.virtualSize(), Files.size(raw), "restored size");
        int chunk = 1 << 20;
        try (FileChannel ch = FileChannel.open(raw)) {
            for (long off = 0; off < model.virtualSize(); off += chunk) {
                int len = (int) Math.min(chunk, model.virtualSize() - off);
                byte[] expected = model.read(off, len);
                ByteBuffer b = ByteBuffer.allocate(len);
                while (b.hasRemaining() && ch.read(b, off + b.position()) > 0) {
                    // read the whole chunk
                }
                int bad = Arrays.mismatch(expected, b.array());
                if (bad >= 0) {
                    fail("restored disk differs from the model at guest offset " + (off + bad) + " (decided by image "
                            + model.owner(off + bad - bad % ChainModel.SECTOR) + "): expected "
                            + expected[bad] + ", got " + b.array()[bad]);
                }
            }
        }
    }

    /** The block device holds the model's disk and, past its end, still the bytes it held {@code before}. */
    static void assertDeviceHolds(ChainModel model, Path device, byte[] before) throws IOException {
        byte[] onDevice = Files.readAllBytes(device);
        int size = (int) model.virtualSize();
        assertArrayEquals(model.expectedDisk(), Arrays.copyOf(onDevice, size), "the disk on the device");
        assertArrayEquals(Arrays.copyOfRange(before, size, before.length),
                Arrays.copyOfRange(onDevice, size, before.length), "past the disk: untouched");
    }

    /** Random bytes for a target's old content, so a range the restore missed shows. */
    static byte[] garbage(long n, long seed) {
        byte[] b = new byte[(int) n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    /** Restores {@code files} into a new file and checks content, size and digest against the model. */
    static RestoreResult assertRestoreMatches(ChainModel model, List<Path> files, Path target, RestoreOptions opts)
            throws IOException {
        RestoreResult r = Restore.run(files, target, opts);
        assertDiskEquals(model, target);
        assertEquals(model.virtualSize(), r.virtualSize());
        assertEquals(DiskDigest.of(target, model.virtualSize()), r.digest(), "digest of the written target");
        return r;
    }

    /** The {@link DiskDigest} of an all-zero disk of {@code size} bytes. */
    static String zeroDigest(long size) {
        DiskDigest d = new DiskDigest(size);
        java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(DiskDigest.CHUNK);
        for (long i = 0; i * DiskDigest.CHUNK < size; i++) {
            d.add(i, DiskDigest.chunkHash(zeros, 0, DiskDigest.chunkLength(i, size)));
        }
        return d.value();
    }

    /** Deletes a directory tree (test scratch). */
    public static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
