package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.s3.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** S3Proxy over HTTPS with a self-signed certificate made for the test. */
class TlsTest {
    private static S3ProxyServer server;
    private static S3Location location;
    private static byte[] content;

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        String bucket = server.createBucket();
        content = Fixtures.randomBytes(100_000, 9);
        server.putObject(bucket, "disk.qcow2", content);
        location = new S3Location(bucket, "disk.qcow2");
    }

    private static S3Settings.Builder https() {
        return Fixtures.quick(server, server.secureEndpoint());
    }

    /** The process's environment for the store: our own HTTP client carries the requests. */
    Map<String, String> environment() {
        return Map.of();
    }

    private void assertReads(S3Settings settings) throws Exception {
        try (ObjectStore store = ObjectStore.create(settings, environment()); S3ByteSource s = store.open(location)) {
            assertEquals(environment().isEmpty() ? "direct" : "sdk", store.transport());
            ByteBuffer dst = ByteBuffer.allocate(content.length);
            s.readFully(dst, 0, "image");
            assertArrayEquals(content, dst.array());
        }
    }

    @Test
    void theTestsCertificateAsCaPemIsTrusted() throws Exception {
        assertReads(https().caCertificatePem(server.certificatePem()).build());
    }

    @Test
    void skipVerifyAcceptsAnyCertificate() throws Exception {
        assertReads(https().insecureSkipTlsVerify(true).build());
    }

    @Test
    void theDefaultTrustStoreRefusesItWithAClearTlsError() {
        try (ObjectStore store = ObjectStore.create(https().build(), environment())) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.open(location));
            String m = e.getMessage();
            assertTrue(m.startsWith(location + ": HEAD: TLS handshake failed: "), m);
            assertTrue(m.contains("certification path") || m.contains("PKIX"), m);
            assertFalse(m.contains("\n"), m);
            assertEquals(0, store.statistics().retries(), "a certificate does not get better by retrying");
        }
    }

    @Test
    void anUnparsableCaPemIsASettingsError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ObjectStore.create(https().caCertificatePem("-----BEGIN CERTIFICATE-----\nnot base64!\n"
                        + "-----END CERTIFICATE-----\n").build()));
        assertTrue(e.getMessage().startsWith("CA certificate PEM"), e.getMessage());
    }
}
