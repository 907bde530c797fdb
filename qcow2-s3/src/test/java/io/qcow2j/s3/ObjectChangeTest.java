package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An object replaced while it is read, on stores that do not help: one that ignores {@code If-Match}
 * (the relay removes it, S3Proxy then answers from the new version) and one whose HEAD sends no
 * ETag (the relay removes it). The reads compare every response's ETag and total size with the
 * opening HEAD's, so neither mixes two versions; a missing ETag is a warning, or refused when asked.
 */
class ObjectChangeTest {
    /** The process's environment for the store: our own HTTP client carries the requests. */
    Map<String, String> environment() {
        return Map.of();
    }

    private static final int SIZE = 2 << 20;
    private static S3ProxyServer server;
    private static String bucket;
    private FaultProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.startWithoutAuthorization(); // the relay changes signed headers
        bucket = server.createBucket();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void relay() throws Exception {
        proxy = FaultProxy.start(server.endpoint());
    }

    @AfterEach
    void close() throws Exception {
        proxy.close();
    }

    private ObjectStore store(boolean requireEntityTag) {
        ObjectStore store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint())
                .requireEntityTag(requireEntityTag).build(), environment());
        assertEquals(environment().isEmpty() ? "direct" : "sdk", store.transport());
        return store;
    }

    private static void assertChanged(ObjectChangedException e, S3Location l, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(l + ": "), m);
        assertTrue(m.contains("at offset 1048576") && m.contains("changed since it was opened"), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + p + "' missing from: " + m);
        }
    }

    @Test
    void aStoreThatIgnoresIfMatchCannotMixTwoVersions() throws Exception {
        proxy.stripRequestHeader("If-Match");
        S3Location l = new S3Location(bucket, "ignores-if-match.qcow2");
        server.putObject(bucket, l.key(), Fixtures.randomBytes(SIZE, 1));
        try (ObjectStore store = store(false); S3ByteSource source = store.open(l)) {
            ByteBuffer first = ByteBuffer.allocate(4096);
            source.readFully(first, 0, "header"); // the version opened
            server.putObject(bucket, l.key(), Fixtures.randomBytes(SIZE, 2)); // same size, other bytes
            ObjectChangedException e = assertThrows(ObjectChangedException.class,
                    () -> source.readFully(ByteBuffer.allocate(65536), 1 << 20, "L2 table"));
            assertChanged(e, l, "L2 table", "ETag " + source.info().eTag() + " at HEAD");
            List<FaultProxy.Request> gets = proxy.requests().stream().filter(r -> r.method().equals("GET")).toList();
            assertEquals(2, gets.size(), "not retried: the other version would come again");
            assertTrue(gets.get(1).header("If-Match") != null, "If-Match was sent, and removed by the relay");
            assertEquals(List.of(), store.warnings());
        }
    }

    @Test
    void withoutETagsASizeChangeIsStillCaughtAndTheLossOfTheCheckIsAWarning() throws Exception {
        proxy.stripResponseHeader("ETag");
        S3Location l = new S3Location(bucket, "no-etag.qcow2");
        byte[] v1 = Fixtures.randomBytes(SIZE, 3);
        server.putObject(bucket, l.key(), v1);
        try (ObjectStore store = store(false); S3ByteSource source = store.open(l)) {
            assertEquals(null, source.info().eTag());
            assertEquals(List.of(l + ": the server sent no ETag: a change of the object during the restore cannot be"
                    + " detected beyond its size"), store.warnings());
            ByteBuffer b = ByteBuffer.allocate(4096);
            source.readFully(b, 1 << 20, "data");
            assertArrayEquals(Arrays.copyOfRange(v1, 1 << 20, (1 << 20) + 4096), b.array());
            server.putObject(bucket, l.key(), Fixtures.randomBytes(SIZE + 65536, 4));
            ObjectChangedException e = assertThrows(ObjectChangedException.class,
                    () -> source.readFully(ByteBuffer.allocate(4096), 1 << 20, "data"));
            assertChanged(e, l, SIZE + " bytes at HEAD, " + (SIZE + 65536) + " in the response");
        }
    }

    @Test
    void aMissingETagIsRefusedWhenAsked() throws Exception {
        proxy.stripResponseHeader("ETag");
        S3Location l = new S3Location(bucket, "no-etag-required.qcow2");
        server.putObject(bucket, l.key(), Fixtures.randomBytes(4096, 5));
        try (ObjectStore store = store(true)) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.open(l));
            assertTrue(e.getMessage().startsWith(l + ": HEAD: the server sent no ETag"), e.getMessage());
        }
    }
}
