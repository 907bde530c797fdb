package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SSE-C: the three headers go out with every HEAD and GET. S3Proxy 2.6.0 implements no SSE-C and
 * answers {@code 501 NotImplemented} to them (it rejects {@code x-amz-*} headers it does not know),
 * so the store's answer must come back as a clear error, not retried.
 */
class SseCTest {

    @Test
    void theCustomerKeyHeadersAreSentAndANotImplementedAnswerIsReported() throws Exception {
        S3ProxyServer server = S3ProxyServer.shared();
        String bucket = server.createBucket();
        server.putObject(bucket, "disk.qcow2", new byte[1000]);
        byte[] key = Fixtures.randomBytes(32, 5);
        try (FaultProxy proxy = FaultProxy.start(server.endpoint());
             ObjectStore store = ObjectStore.create(Fixtures.quick(server, proxy.endpoint()).sseCustomerKey(key).build())) {
            S3Location l = new S3Location(bucket, "disk.qcow2");
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.open(l));
            assertEquals(501, e.httpStatus());
            assertTrue(e.getMessage().startsWith(l + ": HEAD: HTTP 501 NotImplemented"), e.getMessage());
            assertEquals(0, store.statistics().retries());

            List<FaultProxy.Request> requests = proxy.requests();
            assertEquals(List.of("HEAD", "GET"), requests.stream().map(FaultProxy.Request::method).toList());
            String keyB64 = Base64.getEncoder().encodeToString(key);
            String md5B64 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(key));
            for (FaultProxy.Request r : requests) {
                assertEquals("AES256", r.header("x-amz-server-side-encryption-customer-algorithm"));
                assertEquals(keyB64, r.header("x-amz-server-side-encryption-customer-key"));
                assertEquals(md5B64, r.header("x-amz-server-side-encryption-customer-key-MD5"));
            }
        }
    }
}
