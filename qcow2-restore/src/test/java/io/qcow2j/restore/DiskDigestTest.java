package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DiskDigest} against its documented formula, computed here independently (pure-Java XXH64, every chunk). */
class DiskDigestTest {
    private static final XXHash64 REF = XXHashFactory.safeInstance().hash64();
    private static final int CHUNK = 64 << 10;

    @TempDir
    Path dir;

    /** The javadoc's formula over every chunk, zero chunks included. */
    private static String reference(byte[] disk) {
        long sum = 0;
        for (long i = 0; i * CHUNK < disk.length; i++) {
            int from = (int) (i * CHUNK);
            int len = Math.min(CHUNK, disk.length - from);
            long h = REF.hash(disk, from, len, 0);
            long z = REF.hash(new byte[len], 0, len, 0);
            sum += mix(i, h) - mix(i, z);
        }
        return String.format("%016x", mix(sum, disk.length));
    }

    private static long mix(long a, long b) {
        byte[] x = new byte[16];
        ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).putLong(a).putLong(b);
        return REF.hash(x, 0, 16, 0);
    }

    /** Random data, whole zero chunks, half-zero chunks, a data chunk that holds zeros, a short last chunk. */
    private static byte[] sampleDisk(int size, long seed) {
        byte[] disk = new byte[size];
        Random rnd = new Random(seed);
        for (int c = 0; c * CHUNK < size; c++) {
            int from = c * CHUNK;
            int to = Math.min(size, from + CHUNK);
            switch (c % 4) {
                case 0 -> {
                    byte[] b = new byte[to - from];
                    rnd.nextBytes(b);
                    System.arraycopy(b, 0, disk, from, b.length);
                }
                case 1 -> { } // zeros
                case 2 -> Arrays.fill(disk, from + (to - from) / 2, to, (byte) 7);
                default -> disk[to - 1] = 1;
            }
        }
        return disk;
    }

    @Test
    void fileDigestFollowsTheFormula() throws IOException {
        for (int size : new int[] {1, 4096, CHUNK, CHUNK + 1, 5 * (4 << 20) / 4 + 12345}) {
            byte[] disk = sampleDisk(size, size);
            Path f = dir.resolve("disk-" + size);
            Files.write(f, disk);
            assertEquals(reference(disk), DiskDigest.of(f, size), "size " + size);
        }
    }

    @Test
    void zeroChunksContributeNothingAndOrderDoesNotMatter() {
        int size = 20 * CHUNK + 100;
        byte[] disk = sampleDisk(size, 42);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i * CHUNK < size; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(1));
        DiskDigest all = new DiskDigest(size);
        DiskDigest nonZeroOnly = new DiskDigest(size);
        ByteBuffer buf = ByteBuffer.wrap(disk);
        for (int i : order) {
            all.add(i, DiskDigest.chunkHash(buf, i * CHUNK, DiskDigest.chunkLength(i, size)));
            boolean zero = true;
            for (int p = i * CHUNK; p < Math.min(size, (i + 1) * CHUNK); p++) {
                zero &= disk[p] == 0;
            }
            if (!zero) {
                nonZeroOnly.add(i, DiskDigest.chunkHash(buf, i * CHUNK, DiskDigest.chunkLength(i, size)));
            }
        }
        assertEquals(reference(disk), all.value());
        assertEquals(reference(disk), nonZeroOnly.value());
        assertEquals(reference(new byte[size]), new DiskDigest(size).value(), "an empty digest is the zero disk's");
    }

    @Test
    void positionAndSizeMatter() {
        int size = 8 * CHUNK;
        byte[] a = sampleDisk(size, 3);
        byte[] swapped = a.clone();
        System.arraycopy(a, 0, swapped, 4 * CHUNK, CHUNK);
        System.arraycopy(a, 4 * CHUNK, swapped, 0, CHUNK);
        assertNotEquals(reference(a), reference(swapped));
        DiskDigest d1 = new DiskDigest(size);
        DiskDigest d2 = new DiskDigest(size);
        for (int i = 0; i < 8; i++) {
            d1.add(i, DiskDigest.chunkHash(ByteBuffer.wrap(a), i * CHUNK, CHUNK));
            d2.add(i, DiskDigest.chunkHash(ByteBuffer.wrap(swapped), i * CHUNK, CHUNK));
        }
        assertNotEquals(d1.value(), d2.value(), "same chunks at other positions");
        assertNotEquals(new DiskDigest(size).value(), new DiskDigest(size + CHUNK).value(), "zero disks of two sizes");
    }
}
