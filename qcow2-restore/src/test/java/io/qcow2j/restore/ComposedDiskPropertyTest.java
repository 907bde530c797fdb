package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.internal.compose.Windows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * {@link ComposedDisk} reads what qemu reads: a three-image chain built with qemu-img and qemu-io
 * (overlays with stored parents, mixed cluster sizes, subclusters, compressed clusters, zeros,
 * discards, an older image shorter than the newest, data across the first window boundary), read
 * at random offsets and lengths, across cluster and window boundaries and past the end, against
 * {@code qemu-img convert} of the newest image.
 */
@RequiresQemu
class ComposedDiskPropertyTest {
    private static final long K = 1 << 10;
    private static final long M = 1 << 20;
    private static final long W = Windows.SIZE;
    /** The newest image's size: past the first window, not a multiple of its cluster size. */
    private static final long SIZE = W + 3 * M + 1536;

    private static Fixture fixture;

    /** The chain, its composed disk and qemu's raw output, built once for every try. */
    private record Fixture(Path dir, Chain chain, ComposedDisk disk, FileChannel oracle) {
    }

    private static synchronized Fixture fixture() {
        if (fixture == null) {
            try {
                fixture = build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fixture;
    }

    private static Fixture build() throws IOException {
        Path dir = Files.createTempDirectory("qcow2j-composed-disk");
        try {
            return build(dir);
        } catch (IOException | RuntimeException e) {
            ModelChecks.deleteTree(dir);
            throw e;
        }
    }

    private static Fixture build(Path dir) throws IOException {
        Path base = dir.resolve("base.qcow2");
        QemuImg.create(base, W + M, "cluster_size=65536");
        QemuIo.on(base).write(0, 2 * M, 0x11).write(W - 192 * K, 256 * K, 0x12).writeCompressed(10 * M, 64 * K, 0x13)
                .writeCompressed(W + 64 * K, 64 * K, 0x14).write(W + 512 * K, 512 * K, 0x15).run();
        Path mid = overlay(dir, "mid.qcow2", "base.qcow2", W + 3 * M, "cluster_size=4096");
        QemuIo.on(mid).write(M + 512, 5000, 0x21).writeZero(1536 * K, 256 * K).write(W - 8 * K, 16 * K, 0x22)
                .writeCompressed(10 * M + 4 * K, 4 * K, 0x23).writeZero(W + 768 * K, 64 * K)
                .write(W + 2 * M, 4 * K, 0x24).run();
        Path top = overlay(dir, "top.qcow2", "mid.qcow2", SIZE, "cluster_size=32768,extended_l2=on");
        QemuIo.on(top).write(3 * K, 2 * K, 0x31).discard(0, 32 * K).write(W - 40 * K, 80 * K, 0x32)
                .writeZeroUnmap(M, 64 * K).writeCompressed(10 * M + 32 * K, 32 * K, 0x33)
                .write(SIZE - 1536, 1536, 0x34).run();
        Path raw = dir.resolve("qemu.raw");
        Qemu.run("qemu-img", "convert", "-q", "-O", "raw", top.toString(), raw.toString()); // follows the chain
        Chain chain = Chain.open(List.of(base, mid, top), OpenOptions.defaults());
        return new Fixture(dir, chain, ComposedDisk.of(chain), FileChannel.open(raw));
    }

    private static Path overlay(Path dir, String name, String parent, long size, String opts) throws IOException {
        Path img = dir.resolve(name);
        Qemu.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, "-b", parent, "-F", "qcow2", img.toString(),
                Long.toString(size));
        return img;
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        if (fixture != null) {
            fixture.disk().close();
            fixture.chain().close();
            fixture.oracle().close();
            ModelChecks.deleteTree(fixture.dir());
            fixture = null;
        }
    }

    private static byte[] qemu(long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (fixture().oracle().read(b, offset + b.position()) < 0) {
                throw new IOException("qemu's output ends early");
            }
        }
        return b.array();
    }

    /** Offsets anywhere, and near the places where reads go wrong: window, cluster and disk ends. */
    @Provide
    Arbitrary<Long> offsets() {
        Arbitrary<Long> near = Arbitraries.of(0L, 32 * K, M, 10 * M, W, W + M, SIZE)
                .flatMap(p -> Arbitraries.longs().between(-70_000, 70_000).map(d -> Math.max(0, p + d)));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, SIZE + 2 * M)),
                net.jqwik.api.Tuple.of(2, near));
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 70_000)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, (int) (3 * M))));
    }

    @Property(tries = 300)
    void readsWhatQemuReads(@ForAll("offsets") long offset, @ForAll("lengths") int length, @ForAll boolean direct,
            @ForAll("slack") int before) throws IOException {
        int after = 17;
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(before + length + after)
                : ByteBuffer.allocate(before + length + after);
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, (byte) 0x7e);
        }
        buf.position(before).limit(before + length);
        int n = fixture().disk().read(buf, offset);
        if (offset >= SIZE) {
            assertEquals(-1, n, "at or past the end");
            assertEquals(before, buf.position());
        } else {
            int expected = (int) Math.min(length, SIZE - offset);
            assertEquals(expected, n);
            assertEquals(before + n, buf.position());
            byte[] got = new byte[n];
            buf.get(before, got);
            assertArrayEquals(qemu(offset, n), got, () -> "[" + offset + ", " + (offset + n) + ")");
        }
        buf.clear(); // the whole buffer: what lies around the bytes read too
        for (int i = 0; i < buf.capacity(); i++) {
            if (i < before || i >= before + Math.max(n, 0)) {
                assertEquals(0x7e, buf.get(i), "byte " + i + " outside the bytes read is untouched");
            }
        }
    }

    @Provide
    Arbitrary<Integer> slack() {
        return Arbitraries.integers().between(0, 64);
    }

    @Property(tries = 100)
    void extentsCoverTheRangeAndTheirZerosAreQemusZeros(@ForAll("offsets") long offset,
            @ForAll("lengths") int length) throws IOException {
        List<DiskExtent> extents = fixture().disk().extents(offset, length);
        long end = Math.min(SIZE, offset + length);
        long at = offset;
        for (DiskExtent e : extents) {
            assertEquals(at, e.start(), "no gap, no overlap: " + extents);
            assertTrue(e.length() > 0);
            if (e.readsAsZeros()) {
                assertArrayEquals(new byte[(int) e.length()], qemu(e.start(), (int) e.length()), e::toString);
            } else {
                assertTrue(e.image() >= 0 && e.image() < 3, e::toString);
            }
            at = e.end();
        }
        assertEquals(Math.max(offset, end), offset >= SIZE ? offset : at, "covers the range: " + extents);
    }

    @Example
    void extentsNameTheImageThatDecides() throws IOException {
        List<DiskExtent> first = fixture().disk().extents(3 * K, 2 * K);
        assertEquals(1, first.size(), first.toString());
        assertEquals(io.qcow2j.core.Extent.Kind.ZERO, first.get(0).kind(), "discarded in the newest image");
        DiskExtent compressed = fixture().disk().extents(10 * M + 32 * K, 1).get(0);
        assertEquals(io.qcow2j.core.Extent.Kind.COMPRESSED, compressed.kind());
        assertEquals(2, compressed.image());
        DiskExtent none = fixture().disk().extents(20 * M, 1).get(0);
        assertEquals(io.qcow2j.core.Extent.Kind.UNALLOCATED, none.kind());
        assertEquals(-1, none.image());
    }

    @Example
    void manyThreadsReadAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 40; i++) {
                        long off = (long) (r.nextDouble() * SIZE);
                        int len = (int) Math.min(r.nextInt((int) (2 * M)), SIZE - off);
                        ByteBuffer b = ByteBuffer.allocate(len);
                        assertEquals(len, fixture().disk().read(b, off));
                        assertArrayEquals(qemu(off, len), b.array(), "[" + off + ", " + (off + len) + ")");
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Example
    void misuseIsRefused() throws IOException {
        ComposedDisk disk = fixture().disk();
        assertThrows(IllegalArgumentException.class, () -> disk.read(ByteBuffer.allocate(1), -1));
        assertEquals(0, disk.read(ByteBuffer.allocate(0), 0), "nothing asked, nothing read");
        assertEquals(-1, disk.read(ByteBuffer.allocate(1), SIZE));
        ComposedDisk closed = ComposedDisk.of(fixture().chain());
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.read(ByteBuffer.allocate(1), 0));
    }
}
