package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.FaultProxy.Cut;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Transient failures injected between the client and a real S3 server. */
class RetryTest {
    /** The process's environment for the store: our own HTTP client carries the requests. */
    Map<String, String> environment() {
        return Map.of();
    }

    private static final int SIZE = 1 << 20;
    private static final int READ = 256 << 10;
    private static final long OFFSET = 100_000;
    private static S3ProxyServer server;
    private static String bucket;
    private static byte[] content;
    private FaultProxy proxy;
    private ObjectStore store;

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        bucket = server.createBucket();
        content = Fixtures.randomBytes(SIZE, 7);
        server.putObject(bucket, "disk.qcow2", content);
    }

    @BeforeEach
    void connect() throws Exception {
        proxy = FaultProxy.start(server.endpoint());
        store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).readTimeout(Duration.ofMillis(500)).build(),
                environment());
        assertEquals(environment().isEmpty() ? "direct" : "sdk", store.transport());
    }

    /** Opened after the faults are set: they apply to connections made from then on, and HEAD makes the first. */
    private S3ByteSource open() throws Exception {
        return store.open(new S3Location(bucket, "disk.qcow2"));
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        proxy.close();
    }

    private void assertReadsCorrectly(S3ByteSource source) throws Exception {
        ByteBuffer dst = ByteBuffer.allocate(READ);
        source.readFully(dst, OFFSET, "cluster");
        assertArrayEquals(Arrays.copyOfRange(content, (int) OFFSET, (int) OFFSET + READ), dst.array());
    }

    private List<FaultProxy.Request> gets() {
        return proxy.requests().stream().filter(r -> r.method().equals("GET")).toList();
    }

    @ParameterizedTest
    @EnumSource(Cut.class)
    void aConnectionCutMidBodyIsResumedWhereItStopped(Cut how) throws Exception {
        proxy.cutConnections(1, 20_000, how);
        assertReadsCorrectly(open());
        List<FaultProxy.Request> gets = gets();
        assertEquals(2, gets.size(), "the cut GET and one retry");
        assertEquals("bytes=100000-362143", gets.get(0).header("Range"));
        String resumed = gets.get(1).header("Range");
        long resumedAt = Long.parseLong(resumed.substring("bytes=".length(), resumed.indexOf('-')));
        assertTrue(resumedAt > OFFSET && resumedAt < OFFSET + 20_000, "resumed at " + resumed);
        assertTrue(resumed.endsWith("-362143"), resumed);
        assertEquals(1, store.statistics().retries());
        assertEquals(READ, store.statistics().bytesFetched());
    }

    @Test
    void slowDownAnswersAreRetried() throws Exception {
        S3ByteSource source = open();
        proxy.slowDown(2);
        assertReadsCorrectly(source);
        List<FaultProxy.Request> gets = gets();
        assertEquals(3, gets.size());
        assertTrue(gets.get(0).answered() && gets.get(1).answered() && !gets.get(2).answered());
        assertEquals(2, store.statistics().retries());
    }

    @Test
    void everyThirdConnectionCutStillReadsRightFromEightThreads() throws Exception {
        proxy.cutEveryKthConnection(3, 5000, Cut.RESET);
        // attempts to spare: in the first burst, one read may meet several new (cut) connections in a row
        ObjectStore store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).maxAttempts(10).build(),
                environment());
        S3ByteSource source = store.open(new S3Location(bucket, "disk.qcow2"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                tasks.add(pool.submit(() -> {
                    for (int i = 0; i < 6; i++) {
                        ByteBuffer dst = ByteBuffer.allocate(64 << 10);
                        long pos = (thread * 6 + i) * 20_000L;
                        source.readFully(dst, pos, "cluster");
                        assertArrayEquals(Arrays.copyOfRange(content, (int) pos, (int) pos + (64 << 10)), dst.array());
                    }
                    return null;
                }));
            }
            for (Future<?> f : tasks) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            store.close();
        }
        int cut = proxy.connections() / 3;
        assertTrue(cut >= 2, "connections: " + proxy.connections());
        assertEquals(cut, store.statistics().retries(), "one retry per cut connection");
        assertEquals(8 * 6 * (64 << 10), store.statistics().bytesFetched());
    }

    @Test
    void persistentCutsFailCleanlyNamingObjectRangeAndCause() {
        proxy.cutEveryKthConnection(1, 3000, Cut.RESET);
        long start = System.nanoTime();
        ObjectStoreException e = assertThrows(ObjectStoreException.class,
                () -> open().readFully(ByteBuffer.allocate(READ), OFFSET, "L2 table"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
        String m = e.getMessage();
        assertTrue(m.startsWith("s3://" + bucket + "/disk.qcow2: L2 table at offset 100000: "), m);
        assertTrue(m.contains("GET bytes=100000-362143 failed after 4 attempts"), m);
        assertTrue(m.contains("Connection reset") || m.contains("closed") || m.contains("Premature"), m);
        assertFalse(m.contains("\n"), m);
        assertEquals(4, gets().size());
        assertEquals(OFFSET, e.offset());
        assertEquals("s3://" + bucket + "/disk.qcow2", e.resource());
        assertEquals(-1, e.httpStatus());
    }

    @Test
    void persistentSlowDownEndsWithTheServersAnswer() throws Exception {
        S3ByteSource source = open();
        proxy.slowDown(100);
        ObjectStoreException e = assertThrows(ObjectStoreException.class,
                () -> source.read(ByteBuffer.allocate(10), 0));
        assertEquals(503, e.httpStatus());
        assertEquals("SlowDown", e.errorCode());
        assertTrue(e.getMessage().endsWith("GET bytes=0-9 failed after 4 attempts: HTTP 503 SlowDown: "
                + "Please reduce your request rate."), e.getMessage());
    }

    @Test
    void aHeadThatKeepsGettingSlowDownReportsItsAttempts() {
        proxy.slowDown(100);
        ObjectStoreException e = assertThrows(ObjectStoreException.class, this::open);
        // a HEAD's answer has no body, so no S3 code: our client gives the status line's reason
        // phrase, the SDK makes up S3's usual code and message for a 503
        String answer = environment().isEmpty() ? "HTTP 503: Slow Down"
                : "HTTP 503 SlowDown: Please reduce your request rate.";
        assertTrue(e.getMessage().endsWith("/disk.qcow2: HEAD failed after 4 attempts: " + answer), e.getMessage());
        assertEquals(4, proxy.requestCount(), "no diagnostic GET after a server error");
    }

    @Test
    void aStalledResponseTimesOutAndIsRetried() throws Exception {
        proxy.cutConnections(1, 10_000, Cut.STALL);
        long start = System.nanoTime();
        assertReadsCorrectly(open());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(400).toNanos(), "the read timeout had to fire");
        assertEquals(1, store.statistics().retries());
    }

    @Test
    void aSlowButSteadyBodyIsNotATimeout() throws Exception {
        S3ByteSource source = open();
        proxy.throttle(200_000); // 256 KiB then takes over a second, with no silence near the 500 ms read timeout
        long start = System.nanoTime();
        assertReadsCorrectly(source);
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(900).toNanos(), "the throttle had to slow it");
        assertEquals(0, store.statistics().retries());
    }

    @Test
    void backoffIsFullJitterBoundedByTheCeiling() {
        ObjectRequests r = new ObjectRequests(null, S3Settings.builder().backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build(), null);
        long max1 = 0;
        long max5 = 0;
        for (int i = 0; i < 2000; i++) {
            long b1 = r.backoffNanos(1);
            long b5 = r.backoffNanos(5);
            assertTrue(b1 >= 0 && b1 <= 100_000_000L, "retry 1: " + b1);
            assertTrue(b5 >= 0 && b5 <= 1_000_000_000L, "retry 5 is capped: " + b5);
            max1 = Math.max(max1, b1);
            max5 = Math.max(max5, b5);
        }
        assertTrue(max1 > 50_000_000L && max5 > 500_000_000L, "jitter spans the range: " + max1 + ", " + max5);
        assertTrue(r.backoffNanos(80) <= 1_000_000_000L, "no overflow");
    }
}
