package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which transport the ranged GETs take (our own HTTP client, or the SDK's where a proxy or a
 * caller's client asks for it), and that our signed requests name any object right.
 */
class DirectTransportTest {
    private static S3ProxyServer server;
    private static String bucket;
    private static byte[] content;
    /** Keys the URL encoding and the signature must agree on: space, plus, percent, non-ASCII, brackets. */
    private static final List<String> KEYS = List.of("plain.qcow2", "dir/a b+c%20d.qcow2", "ünï/cödé~(1)[2].qcow2",
            "semi;colon=equals&amp?.qcow2");

    @BeforeAll
    static void upload() throws Exception {
        server = S3ProxyServer.shared();
        bucket = server.createBucket();
        content = Fixtures.randomBytes(300_000, 5);
        for (String key : KEYS) {
            server.putObject(bucket, key, content);
        }
    }

    private static void assertReads(ObjectStore store, String key) throws Exception {
        try (S3ByteSource s = store.open(new S3Location(bucket, key))) {
            ByteBuffer dst = ByteBuffer.allocateDirect(200_000);
            s.readFully(dst, 50_000, "image");
            dst.flip();
            byte[] got = new byte[dst.remaining()];
            dst.get(got);
            assertArrayEquals(Arrays.copyOfRange(content, 50_000, 250_000), got, key);
        }
    }

    @Test
    void storesBuiltFromSettingsSendTheirOwnSignedRequestsForAnyKey() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(server.endpoint());
             ObjectStore store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).build(), Map.of())) {
            assertEquals("direct", store.transport());
            for (String key : KEYS) {
                assertReads(store, key);
            }
            assertEquals(2L * KEYS.size(), store.statistics().requests(), "a HEAD and a GET per key");
            assertEquals(2L * KEYS.size(), proxy.requestCount());
            assertTrue(proxy.requests().stream().allMatch(r -> "qcow2j".equals(r.header("User-Agent"))),
                    "every request went through our client");
        }
    }

    @Test
    void aProxyInTheEnvironmentLeavesTheRequestsToTheSdksClient() throws Exception {
        URI endpoint = server.endpoint();
        Map<String, String> proxied = Map.of("HTTPS_PROXY", "http://proxy.example:3128");
        try (ObjectStore store = ObjectStore.create(Fixtures.quick(server, endpoint).build(), proxied)) {
            assertEquals("sdk", store.transport());
            assertReads(store, KEYS.get(1));
        }
        for (String noProxy : List.of("127.0.0.1", "*", "localhost, 127.0.0.1", ".0.0.1")) {
            Map<String, String> excluded = Map.of("http_proxy", "http://proxy.example:3128", "NO_PROXY", noProxy);
            try (ObjectStore store = ObjectStore.create(Fixtures.quick(server, endpoint).build(), excluded)) {
                assertEquals("direct", store.transport(), "NO_PROXY=" + noProxy);
            }
        }
        assertTrue(DirectGets.proxied(URI.create("https://s3.example"), Map.of("ALL_PROXY", "socks5://p:1080",
                "NO_PROXY", "example.org,s3.example.net")));
        assertFalse(DirectGets.proxied(URI.create("https://s3.example"), Map.of("NO_PROXY", "x")));
        // AWS's own endpoint, as a cluster-wide proxy's NO_PROXY often lifts it
        Map<String, String> aws = Map.of("HTTPS_PROXY", "http://proxy.example:3128", "AWS_REGION", "eu-west-1",
                "NO_PROXY", ".cluster.local,.svc,.amazonaws.com");
        try (ObjectStore store = ObjectStore.create(S3Settings.builder().region("eu-west-1")
                .staticCredentials("k", "s", null).build(), aws)) {
            assertEquals("direct", store.transport());
        }
        try (ObjectStore store = ObjectStore.create(S3Settings.builder().region("eu-west-1")
                .staticCredentials("k", "s", null).build(), Map.of("HTTPS_PROXY", "http://proxy.example:3128"))) {
            assertEquals("sdk", store.transport());
        }
    }

    @Test
    void aCallersClientIsUsedAsIs() throws Exception {
        // the test server's own client: the store must not close it
        try (ObjectStore store = ObjectStore.of(server.client(), S3Settings.builder().build())) {
            assertEquals("sdk", store.transport());
            assertReads(store, KEYS.get(2));
        }
    }

    @Test
    void errorAnswersToOurRequestsKeepTheirS3Codes() throws Exception {
        try (ObjectStore store = ObjectStore.create(Fixtures.quick(server, server.endpoint()).build(), Map.of())) {
            ObjectNotFoundException e = org.junit.jupiter.api.Assertions.assertThrows(ObjectNotFoundException.class,
                    () -> store.open(new S3Location(bucket, "missing \u001b[31m.qcow2")));
            assertEquals("NoSuchKey", e.errorCode());
            assertEquals(404, e.httpStatus());
            assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), e.getMessage());
        }
    }
}
