package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ExtentReader} on the committed images, against their qemu-verified content: every kind of
 * extent, whole or sliced, into heap and direct buffers (the direct whole-cluster path inflates
 * straight into the destination), and one reader serving images of different cluster sizes and
 * compression types in any order.
 */
class ExtentReaderTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compressed-zlib", "compressed-zstd", "compressed-writes", "ext-l2-c32768",
            "zero-clusters", "v2-c512"})
    void everyExtentWholeAndSlicedReadsAsTheImage(String name) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(TestData.image(name)); ExtentReader r = new ExtentReader()) {
            byte[] all = TestDataConformanceTest.readAll(img);
            Random rnd = new Random(name.hashCode());
            for (Extent e : img.extents(0, img.virtualSize())) {
                for (boolean direct : new boolean[] {false, true}) {
                    assertReads(img, r, e, all, direct);
                    long from = e.guestOffset() + rnd.nextLong(e.length());
                    long to = from + 1 + rnd.nextLong(e.end() - from);
                    assertReads(img, r, e.slice(from, to), all, direct);
                }
            }
        }
    }

    @Test
    void oneReaderServesSeveralImagesInAnyOrder() throws IOException {
        List<String> names = List.of("compressed-zlib", "compressed-zstd", "compressed-writes");
        List<Qcow2Image> images = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        record Part(int image, Extent extent) {
        }
        List<Part> parts = new ArrayList<>();
        try (ExtentReader r = new ExtentReader()) {
            for (String name : names) {
                Qcow2Image img = Qcow2Image.open(TestData.image(name));
                images.add(img);
                contents.add(TestDataConformanceTest.readAll(img));
                for (Extent e : img.extents(0, img.virtualSize())) {
                    // halves of compressed clusters: the second half may come from the kept cluster
                    long mid = e.guestOffset() + e.length() / 2;
                    long firstEnd = Math.max(mid, e.guestOffset() + 1);
                    parts.add(new Part(images.size() - 1, e.slice(e.guestOffset(), firstEnd)));
                    if (mid > e.guestOffset()) {
                        parts.add(new Part(images.size() - 1, e.slice(mid, e.end())));
                    }
                }
            }
            Collections.shuffle(parts, new Random(7));
            for (Part p : parts) {
                boolean direct = p.extent().length() % 2 == 0;
                assertReads(images.get(p.image()), r, p.extent(), contents.get(p.image()), direct);
            }
        } finally {
            for (Qcow2Image img : images) {
                img.close();
            }
        }
    }

    @Test
    void writesExactlyTheExtentAtThePositionAndAdvances() throws IOException {
        try (Qcow2Image img = Qcow2Image.open(TestData.image("compressed-zstd"));
                ExtentReader r = new ExtentReader()) {
            byte[] all = TestDataConformanceTest.readAll(img);
            for (Extent e : img.extents(0, img.virtualSize())) {
                ByteBuffer dst = ByteBuffer.allocateDirect((int) e.length() + 20);
                for (int i = 0; i < dst.capacity(); i++) {
                    dst.put(i, (byte) 0x5a);
                }
                dst.position(7);
                r.read(img, e, dst);
                assertEquals(7 + e.length(), dst.position(), e + ": position after the read");
                for (int i : new int[] {0, 6, dst.position(), dst.capacity() - 1}) {
                    assertEquals((byte) 0x5a, dst.get(i), e + ": byte " + i + " outside the extent was written");
                }
                byte[] got = new byte[(int) e.length()];
                dst.get(7, got);
                assertArrayEquals(Arrays.copyOfRange(all, (int) e.guestOffset(), (int) e.end()), got, e.toString());
            }
        }
    }

    /**
     * The kept cluster is keyed by image and descriptor: the same descriptor in another image, or
     * the same offset with another length (a hostile image), must be inflated again, not served
     * from the kept cluster. Both second reads here point at bytes that do not inflate.
     */
    @Test
    void theKeptClusterIsKeyedByImageAndDescriptor() throws IOException {
        byte[] file = Files.readAllBytes(TestData.image("compressed-zlib"));
        try (Qcow2Image good = Qcow2Image.open(new MemorySource("good", file), OpenOptions.defaults());
                ExtentReader r = new ExtentReader()) {
            Extent e = good.extents(0, good.virtualSize()).stream()
                    .filter(x -> x.kind() == Extent.Kind.COMPRESSED).findFirst().orElseThrow();
            CompressedDescriptor d = e.compressed();
            Extent firstHalf = e.slice(e.guestOffset(), e.guestOffset() + e.length() / 2);
            Extent secondHalf = e.slice(e.guestOffset() + e.length() / 2, e.end());
            r.read(good, firstHalf, ByteBuffer.allocate((int) firstHalf.length()));

            byte[] garbled = file.clone();
            Arrays.fill(garbled, (int) d.hostOffset(), (int) d.hostOffset() + 16, (byte) 0xff);
            try (Qcow2Image bad = Qcow2Image.open(new MemorySource("bad", garbled), OpenOptions.defaults())) {
                ByteBuffer dst = ByteBuffer.allocate((int) secondHalf.length());
                assertThrows(CorruptDataException.class, () -> r.read(bad, secondHalf, dst), "another image");
            }

            r.read(good, firstHalf, ByteBuffer.allocate((int) firstHalf.length()));
            Extent cut = Extent.compressed(secondHalf.guestOffset(), secondHalf.length(),
                    new CompressedDescriptor(d.hostOffset(), 8), e.clusterGuestOffset());
            ByteBuffer dst = ByteBuffer.allocate((int) cut.length());
            assertThrows(CorruptDataException.class, () -> r.read(good, cut, dst), "same offset, shorter length");
            assertReads(good, r, secondHalf, TestDataConformanceTest.readAll(good), false);
        }
    }

    @Test
    void aBufferTooSmallForTheExtentIsRefused() throws IOException {
        try (Qcow2Image img = Qcow2Image.open(TestData.image("compressed-zlib"));
                ExtentReader r = new ExtentReader()) {
            Extent e = img.extents(0, img.virtualSize()).get(0);
            ByteBuffer dst = ByteBuffer.allocate((int) e.length() - 1);
            assertThrows(IllegalArgumentException.class, () -> r.read(img, e, dst));
            assertEquals(0, dst.position());
        }
    }

    /** An image file held in memory. */
    private record MemorySource(String name, byte[] bytes) implements ByteSource {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            return n;
        }

        @Override
        public void close() {
        }
    }

    private static void assertReads(Qcow2Image img, ExtentReader r, Extent e, byte[] all, boolean direct)
            throws IOException {
        int len = (int) e.length();
        ByteBuffer dst = direct ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
        r.read(img, e, dst);
        assertFalse(dst.hasRemaining(), e + ": the extent fills the buffer");
        byte[] got = new byte[len];
        dst.flip().get(got);
        assertArrayEquals(Arrays.copyOfRange(all, (int) e.guestOffset(), (int) e.end()), got,
                img.name() + ": " + e + (direct ? " into a direct buffer" : " into a heap buffer"));
    }
}
