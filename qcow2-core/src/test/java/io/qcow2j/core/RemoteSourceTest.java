package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.RemoteLikeSource;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A source whose reads are remote is opened with fewer, larger reads (the first 256 KiB at once,
 * whole L2 tables): the image must read exactly as it does from a local file, and the reads must
 * be as few as promised, since each is a request to object storage.
 */
class RemoteSourceTest {
    private static final long PREFIX = 256 << 10;

    static Stream<String> images() {
        return Stream.concat(TestData.imageNames().stream(), TestData.chainNames().stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void readsAsFromALocalFileWithOneReadToOpen(String name) throws IOException {
        Path path = TestData.image(name);
        RemoteLikeSource remote = RemoteLikeSource.open(path);
        // a budget of one byte: the validation pass reads the tables with its own buffer
        OpenOptions small = OpenOptions.defaults().withL2CacheBytes(1);
        try (Qcow2Image local = Qcow2Image.open(path, small); Qcow2Image far = Qcow2Image.open(remote, small)) {
            assertEquals(local.header(), far.header());
            Header h = far.header();
            long l1End = h.l1TableOffset() + 8L * h.l1Size();
            long refcountEnd = h.refcountTableOffset() + ((long) h.refcountTableClusters() << h.clusterBits());
            if (far.clusterSize() <= PREFIX && l1End <= PREFIX && refcountEnd <= PREFIX) {
                assertEquals(1, remote.reads(), name + ": header, refcount table and L1 lie in the first 256 KiB");
            }
            long opened = remote.reads();
            far.validateAllTables();
            long tableBytes = far.clusterSize(); // an L2 table is one cluster
            long perTable = (tableBytes + (128 << 10) - 1) / (128 << 10);
            assertTrue(remote.reads() - opened <= far.allocatedL2Tables() * perTable,
                    name + ": " + (remote.reads() - opened) + " reads for " + far.allocatedL2Tables() + " tables");
            long size = far.virtualSize();
            assertEquals(local.extents(0, size), far.extents(0, size), name);
            assertEquals(local.mapExtents(0, size), far.mapExtents(0, size), name);
        }
    }

    @Test
    void theSampleChainOpensWithOneReadEach() throws IOException {
        for (String name : TestData.chainNames()) {
            RemoteLikeSource remote = RemoteLikeSource.open(TestData.image(name));
            try (Qcow2Image img = Qcow2Image.open(remote, OpenOptions.defaults())) {
                assertEquals(1, remote.reads(), name);
            }
        }
    }

    @Test
    void aTruncatedImageFailsAsFromALocalFile(@TempDir Path dir) throws IOException {
        // cut inside the L1 table of the chain's full image: the read-ahead holds all there is
        Path whole = TestData.image("chain/full");
        long l1;
        try (Qcow2Image img = Qcow2Image.open(whole)) {
            l1 = img.header().l1TableOffset();
        }
        Path cut = dir.resolve("cut.qcow2");
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(cut, java.util.Arrays.copyOf(bytes, (int) l1 + 4));
        InvalidImageException local = assertThrows(InvalidImageException.class, () -> Qcow2Image.open(cut).close());
        InvalidImageException far = assertThrows(InvalidImageException.class,
                () -> Qcow2Image.open(RemoteLikeSource.open(cut), OpenOptions.defaults()).close());
        assertEquals(local.getMessage(), far.getMessage());
    }

    @Test
    void dataReadsPastTheReadAheadGoToTheSource() throws IOException {
        Path path = TestData.image("chain/full");
        try (Qcow2Image local = Qcow2Image.open(path);
                Qcow2Image far = Qcow2Image.open(RemoteLikeSource.open(path), OpenOptions.defaults())) {
            ByteBuffer a = ByteBuffer.allocate((int) Math.min(local.virtualSize(), 1 << 20));
            ByteBuffer b = ByteBuffer.allocate(a.capacity());
            local.read(a, 0);
            far.read(b, 0);
            assertEquals(a.flip(), b.flip());
        }
    }
}
