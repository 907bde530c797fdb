package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reads against a real S3 server, counted at a relay in front of it. */
class S3ByteSourceTest {
    /** An odd size, so that reads across the end are not cluster-aligned. */
    private static final int SIZE = (3 << 20) + 12345;
    private static S3ProxyServer server;
    private static String bucket;
    private static byte[] content;
    private FaultProxy proxy;
    private ObjectStore store;
    private S3Location location;

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        bucket = server.createBucket();
        content = Fixtures.randomBytes(SIZE, 42);
        server.putObject(bucket, "images/disk.qcow2", content);
    }

    @BeforeEach
    void connect() throws Exception {
        proxy = FaultProxy.start(server.endpoint());
        store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).maxConnections(8).build());
        location = new S3Location(bucket, "images/disk.qcow2");
    }

    @AfterEach
    void disconnect() throws Exception {
        store.close();
        proxy.close();
    }

    @Test
    void scatteredReadsAreOneRequestByteExactAndResumeAcrossParts() throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 12; round++) {
            // random parts in order with random gaps; heap and direct buffers; a cut mid-body in half the rounds
            List<io.qcow2j.core.ReadPart> parts = new ArrayList<>();
            long pos = rnd.nextInt(1 << 16);
            int want = 2 + rnd.nextInt(5);
            while (parts.size() < want) {
                int len = 1 + rnd.nextInt(200_000);
                if (pos + len > SIZE) {
                    break;
                }
                parts.add(new io.qcow2j.core.ReadPart(pos,
                        rnd.nextBoolean() ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len)));
                pos += len + rnd.nextInt(3) * rnd.nextInt(100_000);
            }
            long span = parts.get(parts.size() - 1).end() - parts.get(0).position();
            boolean cut = round % 2 == 1 && span > 2000;
            if (cut) { // on the next connection, which a new store opens: after its HEAD, inside the body
                proxy.cutConnections(1, 1000 + rnd.nextLong(span - 1000), FaultProxy.Cut.RESET);
            }
            try (ObjectStore fresh = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).build());
                    S3ByteSource source = fresh.open(location)) {
                source.readFully(parts, "data cluster");
                assertEquals(cut ? 3 : 2, fresh.statistics().requests(),
                        "a HEAD, one GET for all parts" + (cut ? ", one more to resume" : ""));
            }
            for (io.qcow2j.core.ReadPart p : parts) {
                ByteBuffer b = p.dst().flip();
                byte[] got = new byte[b.remaining()];
                b.get(got);
                assertArrayEquals(Arrays.copyOfRange(content, (int) p.position(), (int) p.position() + got.length),
                        got, "part at " + p.position());
            }
            proxy.clearFaults();
        }
        try (S3ByteSource source = store.open(location)) {
            ByteBuffer a = ByteBuffer.allocate(10);
            ByteBuffer b = ByteBuffer.allocate(10);
            assertThrows(IllegalArgumentException.class, () -> source.readFully(
                    List.of(new io.qcow2j.core.ReadPart(100, a), new io.qcow2j.core.ReadPart(105, b)), "x"));
            assertThrows(InvalidImageException.class, () -> source.readFully(
                    List.of(new io.qcow2j.core.ReadPart(0, a), new io.qcow2j.core.ReadPart(SIZE - 5, b)), "x"));
        }
    }

    @Test
    void randomRangesAreByteExactFromEightThreads() throws Exception {
        try (S3ByteSource source = store.open(location)) {
            assertEquals(SIZE, source.size());
            assertEquals("s3://" + bucket + "/images/disk.qcow2", source.name());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Long>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    long seed = t;
                    results.add(pool.submit(() -> readRandomRanges(source, seed, 25)));
                }
                long bytes = 0;
                for (Future<Long> f : results) {
                    bytes += f.get();
                }
                ObjectStoreStatistics stats = store.statistics();
                assertEquals(bytes, stats.bytesFetched());
                assertEquals(1 + 8 * 25, stats.requests(), "one HEAD, then one GET per read");
                assertEquals(0, stats.retries());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Reads {@code count} random ranges (heap and direct buffers, some at odd buffer offsets); returns bytes read. */
    private static long readRandomRanges(S3ByteSource source, long seed, int count) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        long total = 0;
        for (int i = 0; i < count; i++) {
            int length = 1 + rnd.nextInt(256 << 10);
            long position = rnd.nextLong(SIZE - length + 1);
            int slack = rnd.nextInt(3);
            ByteBuffer dst = rnd.nextBoolean() ? ByteBuffer.allocate(length + slack) : ByteBuffer.allocateDirect(length + slack);
            dst.position(slack);
            source.readFully(dst, position, "test range");
            assertEquals(length + slack, dst.position());
            byte[] got = new byte[length];
            dst.position(slack);
            dst.get(got);
            assertArrayEquals(Arrays.copyOfRange(content, (int) position, (int) position + length), got,
                    "range " + position + "+" + length);
            total += length;
        }
        return total;
    }

    @Test
    void aReadAcrossTheEndIsClampedAndTheEndReadsMinusOne() throws Exception {
        try (S3ByteSource source = store.open(location)) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            assertEquals(345, source.read(dst, SIZE - 345));
            assertEquals(345, dst.position());
            assertArrayEquals(Arrays.copyOfRange(content, SIZE - 345, SIZE), Arrays.copyOf(dst.array(), 345));
            assertEquals(-1, source.read(ByteBuffer.allocate(10), SIZE));
            assertEquals(-1, source.read(ByteBuffer.allocate(10), SIZE + 1000));
            assertEquals(0, source.read(ByteBuffer.allocate(0), 0));
        }
    }

    @Test
    void readFullyPastTheEndIsATruncatedImageAndCostsNoRequest() throws Exception {
        try (S3ByteSource source = store.open(location)) {
            long before = store.statistics().requests();
            InvalidImageException e = assertThrows(InvalidImageException.class,
                    () -> source.readFully(ByteBuffer.allocate(4096), SIZE - 100, "L2 table"));
            assertEquals(before, store.statistics().requests());
            assertEquals(SIZE - 100, e.offset());
            assertTrue(e.getMessage().contains("L2 table"), e.getMessage());
            assertTrue(e.getMessage().startsWith("s3://" + bucket + "/images/disk.qcow2"), e.getMessage());
        }
    }

    @Test
    void eachReadIsOneRangedGetAndTheCountersMatchTheWire() throws Exception {
        try (S3ByteSource source = store.open(location)) {
            source.readFully(ByteBuffer.allocate(65536), 1 << 20, "cluster");
            source.readFully(ByteBuffer.allocateDirect(1 << 20), 5, "cluster");
        }
        List<FaultProxy.Request> requests = proxy.requests();
        assertEquals(3, requests.size());
        assertEquals("HEAD", requests.get(0).method());
        assertEquals("bytes=1048576-1114111", requests.get(1).header("Range"));
        assertEquals("bytes=5-1048580", requests.get(2).header("Range"));
        ObjectStoreStatistics stats = store.statistics();
        assertEquals(3, stats.requests());
        assertEquals(65536 + (1 << 20), stats.bytesFetched());
        long headers = proxy.bytesToClient() - stats.bytesFetched();
        assertTrue(headers > 0 && headers < 3 * 1024, "response headers: " + headers + " bytes for 3 responses");
    }

    @Test
    void pathStyleIsUsedFor127001() throws Exception {
        assertTrue(store.pathStyle());
        store.open(location).close();
        FaultProxy.Request head = proxy.requests().get(0);
        assertEquals("/" + bucket + "/images/disk.qcow2", head.target());
        assertEquals("127.0.0.1:" + proxy.endpoint().getPort(), head.header("Host"));
    }

    @Test
    void withoutAnEndpointAwsEndpointUrlIsUsed() throws Exception {
        S3Settings noEndpoint = Fixtures.quick(server, proxy.endpoint()).endpoint(null).build();
        try (ObjectStore viaEnv = ObjectStore.create(noEndpoint, Map.of("AWS_ENDPOINT_URL", proxy.endpoint().toString()))) {
            assertEquals(Optional.of(proxy.endpoint()), viaEnv.endpoint());
            assertTrue(viaEnv.pathStyle());
            assertEquals(SIZE, viaEnv.open(location).size());
        }
        assertEquals(1, proxy.requestCount());
    }

    @Test
    void aClosedSourceRefusesReads() throws Exception {
        S3ByteSource source = store.open(location);
        source.close();
        assertThrows(ClosedChannelException.class, () -> source.read(ByteBuffer.allocate(1), 0));
        store.close();
        assertThrows(ClosedChannelException.class, () -> store.open(location));
    }
}
