package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every committed image in {@code testdata/} against what qemu recorded for it when it was made:
 * the raw content's SHA-256, {@code qemu-img map} and the header fields of {@code qemu-img info}.
 * Runs without qemu.
 */
class TestDataConformanceTest {

    static Stream<String> images() {
        return Stream.concat(TestData.imageNames().stream(), TestData.chainNames().stream());
    }

    @Test
    void everyImageIsCovered() {
        // a new image added to testdata/ must not silently escape these tests
        assertTrue(TestData.imageNames().size() >= 13, "images found: " + TestData.imageNames());
        assertTrue(TestData.imageNames().containsAll(List.of("v2-c512", "v3-c4096", "compressed-zstd",
                "ext-l2-c65536", "zero-clusters", "backing-name")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void readsBackToTheRecordedDigest(String name) throws IOException {
        Path file = TestData.image(name);
        try (Qcow2Image img = Qcow2Image.open(file)) {
            img.validateAllTables();
            byte[] all = readAll(img);
            assertEquals(TestData.expectedSha256(name), Sha256.of(all), name + ": raw content differs from qemu's");

            // unaligned reads through Qcow2Image.read must slice extents (compressed ones too) exactly
            Random rnd = new Random(name.hashCode());
            for (int i = 0; i < 64; i++) {
                long off = rnd.nextLong(all.length);
                int len = (int) Math.min(all.length - off, 1 + rnd.nextInt(rnd.nextBoolean() ? 700 : 70_000));
                ByteBuffer b = ByteBuffer.allocate(len);
                img.read(b, off);
                assertFalse(b.hasRemaining(), "read fills the buffer");
                assertArrayEquals(Arrays.copyOfRange(all, (int) off, (int) off + len), b.array(),
                        name + ": read(" + off + ", " + len + ")");
            }
        }
    }

    /** The whole virtual disk through one {@link ExtentReader}, in 1 MiB steps. */
    static byte[] readAll(Qcow2Image img) throws IOException {
        long size = img.virtualSize();
        assertTrue(size <= Integer.MAX_VALUE - 8, "test image too large to hold");
        byte[] all = new byte[(int) size];
        try (ExtentReader r = new ExtentReader()) {
            for (long off = 0; off < size; off += 1 << 20) {
                int n = (int) Math.min(1 << 20, size - off);
                read(r, img, ByteBuffer.wrap(all, (int) off, n).slice(), off);
            }
        }
        return all;
    }

    /** Fills {@code dst} with the guest bytes at {@code offset}, extent by extent. */
    static void read(ExtentReader r, Qcow2Image img, ByteBuffer dst, long offset) throws IOException {
        for (Extent e : img.extents(offset, dst.remaining())) {
            r.read(img, e, dst);
        }
        assertFalse(dst.hasRemaining(), "the extents cover the range");
    }

    /** Streams the whole disk into a digest without holding it. */
    static String sha256(Qcow2Image img) throws IOException {
        MessageDigest md = Sha256.digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long size = img.virtualSize();
        try (ExtentReader r = new ExtentReader()) {
            for (long off = 0; off < size; off += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), size - off));
                read(r, img, buf, off);
                buf.flip();
                md.update(buf);
            }
        }
        return Sha256.hex(md);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapsLikeQemu(String name) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(TestData.image(name))) {
            List<Extent> ours = img.mapExtents(0, img.virtualSize());
            assertContiguous(ours, img.virtualSize());
            List<MapJson.Entry> expected = MapJson.normalise(MapJson.parse(TestData.expectedMapJson(name)));
            List<MapJson.Entry> actual = MapJson.normalise(MapJson.of(ours));
            assertEquals(MapJson.render(expected), MapJson.render(actual), name + ": map differs from qemu-img map");
            // the unmerged extents must describe the same bytes as the qemu-merged ones
            assertContiguous(img.extents(0, img.virtualSize()), img.virtualSize());
        }
    }

    static void assertContiguous(List<Extent> extents, long size) {
        long pos = 0;
        for (Extent e : extents) {
            assertEquals(pos, e.guestOffset(), "extents leave a gap or overlap: " + extents);
            assertTrue(e.length() > 0, "empty extent " + e);
            pos = e.end();
        }
        assertEquals(size, pos, "extents end before the virtual size");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void headerAgreesWithQemuImgInfo(String name) throws IOException {
        String info = TestData.expectedInfoJson(name);
        try (Qcow2Image img = Qcow2Image.open(TestData.image(name))) {
            Header h = img.header();
            assertEquals("qcow2", field(info, "format"));
            assertEquals(Long.parseLong(field(info, "virtual-size")), h.size(), "virtual-size");
            assertEquals(Long.parseLong(field(info, "cluster-size")), h.clusterSize(), "cluster-size");
            assertEquals(field(info, "compat"), h.version() == 2 ? "0.10" : "1.1", "compat");
            assertEquals(field(info, "compression-type"), switch (h.compressionType()) {
                case Header.COMPRESSION_ZLIB -> "zlib";
                case Header.COMPRESSION_ZSTD -> "zstd";
                default -> "type " + h.compressionType();
            }, "compression-type");
            assertEquals(Integer.parseInt(field(info, "refcount-bits")), h.refcountBits(), "refcount-bits");
            assertEquals(Boolean.parseBoolean(field(info, "dirty-flag")), h.features().dirty(), "dirty-flag");
            if (h.version() == 3) {
                assertEquals(Boolean.parseBoolean(field(info, "lazy-refcounts")), h.features().lazyRefcounts(),
                        "lazy-refcounts");
                assertEquals(Boolean.parseBoolean(field(info, "corrupt")), h.features().corrupt(), "corrupt");
                assertEquals(Boolean.parseBoolean(field(info, "extended-l2")), h.features().extendedL2(),
                        "extended-l2");
            } else {
                // qemu prints these only for v3; a v2 header has no feature fields to decode
                assertNull(field(info, "lazy-refcounts"));
                assertEquals(0, h.features().incompatible() | h.features().compatible() | h.features().autoclear());
            }
            assertEquals(field(info, "backing-filename"), h.backingFile().orElse(null), "backing-filename");
            assertEquals(field(info, "backing-filename-format"), h.backingFormat().orElse(null),
                    "backing-filename-format");
            assertNull(field(info, "data-file"), "no committed image has an external data file");
            assertTrue(h.externalDataFile().isEmpty());
        }
    }

    @Test
    void backingNameIsReportedNeverFollowed() throws IOException {
        // the named file does not exist; opening and reading must not care
        try (Qcow2Image img = Qcow2Image.open(TestData.image("backing-name"))) {
            assertEquals("/run/kubevirt-private/some/disk.qcow2", img.header().backingFile().orElseThrow());
            assertEquals("qcow2", img.header().backingFormat().orElseThrow());
            assertEquals(TestData.expectedSha256("backing-name"), sha256(img));
        }
    }

    private static final Pattern SCALAR = Pattern.compile(
            "\"([a-z0-9-]+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|true|false|-?\\d+)");

    /** The scalar value of {@code key} anywhere in qemu's info JSON (keys used here are unique). */
    static String field(String json, String key) {
        List<String> found = new ArrayList<>();
        Matcher m = SCALAR.matcher(json);
        while (m.find()) {
            if (m.group(1).equals(key)) {
                found.add(m.group(3) != null ? m.group(3) : m.group(2));
            }
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("\"" + key + "\" occurs " + found.size() + " times");
        }
        return found.isEmpty() ? null : found.get(0);
    }
}
