package io.qcow2j.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.check.CheckResult;
import io.qcow2j.core.check.ImageChecker;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The test-side writer makes images that qemu and the library read as described: data where data
 * was given, zeros (with the zero flag) where zeros were, nothing elsewhere, and refcounts that
 * {@code qemu-img check} and {@link ImageChecker} find exact.
 */
class Qcow2WriterTest {
    private static final int SECTOR = 512;

    @TempDir
    Path dir;

    /** An image with data, zero and unallocated granules and a short last granule, its bytes and kinds. */
    record Sample(Qcow2Writer writer, byte[] expected, List<Extent.Kind> kinds) {
    }

    static Stream<Arguments> geometries() {
        List<Arguments> out = new ArrayList<>();
        for (int[] g : new int[][] {{9, 0}, {12, 0}, {14, 1}, {16, 0}, {16, 1}, {21, 0}, {21, 1}}) {
            for (boolean reverse : new boolean[] {false, true}) {
                out.add(Arguments.of(g[0], g[1] == 1, reverse));
            }
        }
        return out.stream();
    }

    /**
     * Granules 0..7: data, data, zero, unallocated, data, zero, unallocated, data; then, where an L2
     * table maps at most 64 MiB, the first granule of the second table is data; the disk ends
     * half-way into a data granule (or after it, when the granule is one sector).
     */
    static Sample sample(int clusterBits, boolean extended, boolean reverse) {
        long cs = 1L << clusterBits;
        long granule = extended ? cs / 32 : cs;
        long perTable = cs / (extended ? 16 : 8) * cs;
        long secondTable = perTable <= 64L << 20 ? perTable : -1;
        long tail = secondTable > 0 ? secondTable + 2 * granule : 8 * granule;
        long size = tail + Math.max(SECTOR, granule / 2);
        Qcow2Writer w = Qcow2Writer.image(clusterBits, extended, size).reverseData(reverse);
        byte[] disk = new byte[Math.toIntExact(size)];
        Random rnd = new Random(clusterBits * 2 + (extended ? 1 : 0));
        Extent.Kind[] first = {Extent.Kind.DATA, Extent.Kind.DATA, Extent.Kind.ZERO, Extent.Kind.UNALLOCATED,
            Extent.Kind.DATA, Extent.Kind.ZERO, Extent.Kind.UNALLOCATED, Extent.Kind.DATA};
        List<Extent.Kind> kinds = new ArrayList<>();
        for (int g = 0; g < first.length; g++) {
            kinds.add(first[g]);
            if (first[g] == Extent.Kind.DATA) {
                data(w, disk, rnd, g * granule, (int) granule);
            } else if (first[g] == Extent.Kind.ZERO) {
                w.zero(g * granule, granule);
            }
        }
        if (secondTable > 0) {
            data(w, disk, rnd, secondTable, (int) granule);
        }
        data(w, disk, rnd, tail, (int) (size - tail));
        return new Sample(w, disk, kinds);
    }

    private static void data(Qcow2Writer w, byte[] disk, Random rnd, long offset, int length) {
        byte[] b = new byte[length];
        rnd.nextBytes(b);
        System.arraycopy(b, 0, disk, (int) offset, length);
        w.data(offset, b);
    }

    @ParameterizedTest(name = "cluster_bits {0}, extended L2 {1}, reversed {2}")
    @MethodSource("geometries")
    void theLibraryReadsWhatWasWritten(int clusterBits, boolean extended, boolean reverse) throws IOException {
        Sample s = sample(clusterBits, extended, reverse);
        Path img = dir.resolve("img.qcow2");
        s.writer().write(img);

        CheckResult check = ImageChecker.check(img);
        assertEquals(List.of(), check.problems());
        try (Qcow2Image image = Qcow2Image.open(img)) {
            ByteBuffer all = ByteBuffer.allocate(s.expected().length);
            image.read(all, 0);
            assertArrayEquals(s.expected(), all.array());
            long granule = s.writer().granule();
            for (int g = 0; g < s.kinds().size(); g++) {
                List<Extent> e = image.extents(g * granule, granule);
                assertEquals(1, e.size(), "granule " + g + ": " + e);
                assertEquals(s.kinds().get(g), e.get(0).kind(), "granule " + g);
            }
        }
    }

    @ParameterizedTest(name = "cluster_bits {0}, extended L2 {1}, reversed {2}")
    @MethodSource("geometries")
    @RequiresQemu
    void qemuChecksAndReadsWhatWasWritten(int clusterBits, boolean extended, boolean reverse) throws IOException {
        Sample s = sample(clusterBits, extended, reverse);
        Path img = dir.resolve("img.qcow2");
        s.writer().write(img);
        QemuImg.check(img);
        Path raw = dir.resolve("img.raw");
        QemuImg.convertToRaw(img, raw);
        assertArrayEquals(s.expected(), Files.readAllBytes(raw));
    }

    @Test
    void refusesWhatItCannotEncode() {
        assertThrows(IllegalArgumentException.class, () -> Qcow2Writer.image(8, false, 4096));
        assertThrows(IllegalArgumentException.class, () -> Qcow2Writer.image(13, true, 4096));
        assertThrows(IllegalArgumentException.class, () -> Qcow2Writer.image(12, false, 4096 + 256), "not sectors");
        Qcow2Writer w = Qcow2Writer.image(12, false, 8192);
        assertThrows(IllegalArgumentException.class, () -> w.data(512, new byte[512]), "not granule aligned");
        assertThrows(IllegalArgumentException.class, () -> w.data(4096, new byte[4097]), "past the disk");
        assertThrows(IllegalArgumentException.class, () -> w.zero(8192, 4096), "past the disk");
    }
}
