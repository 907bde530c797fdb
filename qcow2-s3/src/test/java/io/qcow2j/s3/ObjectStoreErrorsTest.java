package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a caller sees when the backup cannot be read: typed, one line, naming the object, not retried. */
class ObjectStoreErrorsTest {
    private static S3ProxyServer server;
    private static String bucket;
    private FaultProxy proxy;

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        bucket = server.createBucket();
        server.putObject(bucket, "index.json", "{\"vms\":[]}".getBytes(StandardCharsets.UTF_8));
        server.putObject(bucket, "big.qcow2", Fixtures.randomBytes(2 << 20, 3));
    }

    @BeforeEach
    void relay() throws Exception {
        proxy = FaultProxy.start(server.endpoint());
    }

    @AfterEach
    void close() throws Exception {
        proxy.close();
    }

    private ObjectStore store(S3Settings.Builder settings) {
        return ObjectStore.create(settings.endpoint(proxy.endpoint()).build());
    }

    private static void assertOneLineNaming(Qcow2Exception e, String uri, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(uri + ": "), m);
        assertFalse(m.contains("\n") || m.contains("Service: S3") || m.contains("Request ID") || m.contains("\tat "), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + p + "' missing from: " + m);
        }
    }

    @Test
    void aWrongSecretIsAccessDeniedAtOnce() {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint())
                .staticCredentials(S3ProxyServer.ACCESS_KEY, "wrong-secret", null))) {
            S3Location l = new S3Location(bucket, "index.json");
            ObjectAccessDeniedException e = assertThrows(ObjectAccessDeniedException.class, () -> store.open(l));
            assertOneLineNaming(e, l.toString(), "HEAD", "HTTP 403", "SignatureDoesNotMatch", "secret key");
            assertEquals(403, e.httpStatus());
            assertEquals(2, proxy.requestCount(), "the HEAD, not retried, and the GET that names the error");
            assertEquals(0, store.statistics().retries());
        }
    }

    @Test
    void anUnknownAccessKeyIsAccessDenied() {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()).staticCredentials("nobody", "x", null))) {
            S3Location l = new S3Location(bucket, "index.json");
            ObjectAccessDeniedException e = assertThrows(ObjectAccessDeniedException.class,
                    () -> store.readSmallObject(l, 1000));
            assertOneLineNaming(e, l.toString(), "HTTP 403", "InvalidAccessKeyId");
        }
    }

    @Test
    void aMissingBucketIsNamed() {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()))) {
            S3Location l = new S3Location("no-such-bucket", "disk.qcow2");
            ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> store.open(l));
            assertOneLineNaming(e, "s3://no-such-bucket/disk.qcow2", "HEAD", "bucket 'no-such-bucket' does not exist",
                    "NoSuchBucket");
            assertThrows(ObjectNotFoundException.class, () -> store.exists(l), "a missing bucket is not a missing object");
            assertEquals(0, store.statistics().retries());
        }
    }

    @Test
    void aMissingObjectIsNamed() throws Exception {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()))) {
            S3Location l = new S3Location(bucket, "checkpoints/ns/vm/cp9/disk.qcow2");
            ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> store.open(l));
            assertOneLineNaming(e, l.toString(), "HEAD", "no such object", "404", "NoSuchKey");
            assertEquals("NoSuchKey", e.errorCode());
            assertFalse(store.exists(l));
            assertTrue(store.exists(new S3Location(bucket, "index.json")));
            assertEquals(0, store.statistics().retries());
        }
    }

    @Test
    void aSmallObjectIsReadWhole() throws Exception {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()))) {
            byte[] json = store.readSmallObject(new S3Location(bucket, "index.json"), 1 << 20);
            assertEquals("{\"vms\":[]}", new String(json, StandardCharsets.UTF_8));
            assertEquals(10, store.statistics().bytesFetched());
        }
    }

    @Test
    void anOversizeSmallObjectIsRefusedWithoutDownloadingIt() {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()))) {
            S3Location l = new S3Location(bucket, "big.qcow2");
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.readSmallObject(l, 1 << 20));
            assertOneLineNaming(e, l.toString(), "2097152 bytes", "1048576", "not downloaded");
            assertEquals(1, proxy.requestCount());
            assertEquals("HEAD", proxy.requests().get(0).method());
            assertTrue(proxy.bytesToClient() < 1024, "only response headers: " + proxy.bytesToClient() + " bytes");
            assertEquals(0, store.statistics().bytesFetched());
        }
    }

    @Test
    void anObjectReplacedAfterOpeningIsNotMixedIn() throws Exception {
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()))) {
            S3Location l = new S3Location(bucket, "replaced.qcow2");
            server.putObject(bucket, l.key(), Fixtures.randomBytes(4096, 1));
            try (S3ByteSource source = store.open(l)) {
                server.putObject(bucket, l.key(), Fixtures.randomBytes(4096, 2));
                ObjectStoreException e = assertThrows(ObjectStoreException.class,
                        () -> source.readFully(ByteBuffer.allocate(512), 0, "header"));
                assertOneLineNaming(e, l.toString(), "header at offset 0", "changed since it was opened", "412");
                assertEquals(1, proxy.requests().stream().filter(r -> r.method().equals("GET")).count(), "not retried");
            }
        }
    }

    @Test
    void profileCredentialsFromAnIniFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cloud");
        Files.writeString(file, "[default]\naws_access_key_id=x\naws_secret_access_key=y\n\n[backup]\naws_access_key_id="
                + S3ProxyServer.ACCESS_KEY + "\naws_secret_access_key=" + S3ProxyServer.SECRET_KEY + "\n");
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()).profileCredentials(file, "backup"))) {
            assertArrayEquals("{\"vms\":[]}".getBytes(StandardCharsets.UTF_8),
                    store.readSmallObject(new S3Location(bucket, "index.json"), 100));
        }
        try (ObjectStore store = store(Fixtures.quick(server, proxy.endpoint()).profileCredentials(file, "nope"))) {
            ObjectAccessDeniedException e = assertThrows(ObjectAccessDeniedException.class,
                    () -> store.open(new S3Location(bucket, "index.json")));
            assertOneLineNaming(e, "s3://" + bucket + "/index.json", "no usable credentials");
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> store(Fixtures.quick(server, proxy.endpoint()).profileCredentials(dir.resolve("none"), null)));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test
    void nothingListensThereIsAnIoErrorAfterTheRetries() throws Exception {
        java.net.URI dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = java.net.URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        try (ObjectStore store = ObjectStore.create(Fixtures.quick(server, dead).build())) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class,
                    () -> store.open(new S3Location(bucket, "index.json")));
            assertOneLineNaming(e, "s3://" + bucket + "/index.json", "HEAD failed after 4 attempts", "cannot connect");
        }
    }
}
