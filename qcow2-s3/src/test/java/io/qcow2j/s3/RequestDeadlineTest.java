package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that trickles a byte every 100 ms never trips the 5 s read timeout, and would keep a
 * 256 KiB read alive for seven hours; the per-request deadline ({@code base + bytes / rate}, here
 * 1 s + 256 KiB / 1 MiB/s) abandons the attempt, in the body or before the response, and the retry
 * (on a connection that does not trickle) reads the bytes.
 */
class RequestDeadlineTest {
    /** The process's environment for the store: our own HTTP client carries the requests. */
    Map<String, String> environment() {
        return Map.of();
    }

    private static final int SIZE = 1 << 20;
    private static final int READ = 256 << 10;
    private static S3ProxyServer server;
    private static String bucket;
    private static byte[] content;
    private FaultProxy proxy;

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        bucket = server.createBucket();
        content = Fixtures.randomBytes(SIZE, 7);
        server.putObject(bucket, "trickled.qcow2", content);
    }

    @BeforeEach
    void relay() throws Exception {
        proxy = FaultProxy.start(server.endpoint());
    }

    @AfterEach
    void close() throws Exception {
        proxy.close();
    }

    private void readThroughTheTrickle() throws Exception {
        S3Settings settings = Fixtures.quick(server, proxy.endpoint()).requestDeadline(Duration.ofSeconds(1), 1 << 20)
                .build();
        assertEquals(Duration.ofMillis(1250), settings.requestDeadline(READ));
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (ObjectStore store = ObjectStore.create(settings, environment());
                 S3ByteSource source = store.open(new S3Location(bucket, "trickled.qcow2"))) {
                assertEquals(environment().isEmpty() ? "direct" : "sdk", store.transport());
                ByteBuffer b = ByteBuffer.allocate(READ);
                source.readFully(b, 4096, "data");
                assertArrayEquals(Arrays.copyOfRange(content, 4096, 4096 + READ), b.array());
                assertEquals(1, store.statistics().retries(), "one attempt abandoned at its deadline");
            }
        });
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
    }

    @Test
    void aTrickledBodyIsAbandonedAtItsDeadlineAndRetried() throws Exception {
        proxy.trickle(1, Duration.ofMillis(100), 4096); // the HEAD and the GET's head pass, then the body trickles
        readThroughTheTrickle();
    }

    @Test
    void aTrickledResponseHeadIsAbandonedAtItsDeadlineAndRetried() throws Exception {
        proxy.trickle(1, Duration.ofMillis(100), 0); // the HEAD's response trickles from its first byte
        readThroughTheTrickle();
    }
}
