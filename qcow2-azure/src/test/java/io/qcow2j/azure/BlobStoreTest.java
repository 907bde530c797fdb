package io.qcow2j.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.azure.testing.AzuriteServer;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.remote.RetryPolicy;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link BlobStore} against Azurite on loopback, faults injected at TCP level by {@link FaultProxy}. */
class BlobStoreTest {
    private static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(1), Duration.ofMillis(10));
    private static AzuriteServer server;
    private static String container;
    private static byte[] content;

    /** Per test, not per class: without Azurite each test is reported skipped, not the class silently. */
    @BeforeEach
    void upload() throws Exception {
        server = AzuriteServer.shared();
        if (container == null) {
            container = server.createContainer();
            content = new byte[3 << 20];
            new Random(34).nextBytes(content);
            server.put(container, "disk.qcow2", content);
        }
    }

    /** A store reaching the server through {@code relay}. */
    private static BlobStore relayed(FaultProxy relay, RetryPolicy retry) {
        return BlobStore.create(AzuriteServer.settings(relay.endpoint().resolve("/" + AzuriteServer.ACCOUNT))
                .withRetry(retry));
    }

    private static byte[] read(BlobByteSource s, long position, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.readFully(b, position, "test range");
        return b.array();
    }

    @Test
    void rangedReadsReturnTheBlobsBytesAndOnlyThose() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint());
             BlobStore store = relayed(relay, FAST);
             BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
            assertEquals(content.length, s.size());
            assertEquals("az://" + container + "/disk.qcow2", s.name());
            assertArrayEquals(Arrays.copyOfRange(content, 1_000_000, 1_065_536), read(s, 1_000_000, 65_536));
            assertEquals(65_536, store.statistics().bytesFetched());
            assertEquals(2, store.statistics().requests());
            // every GET pinned to the ETag the HEAD saw, and asking for its range only
            FaultProxy.Request get = relay.requests().get(1);
            assertEquals("GET", get.method());
            assertEquals(s.info().eTag(), get.header("If-Match"));
            assertEquals("bytes=1000000-1065535", get.header("x-ms-range"));
            assertTrue(relay.bytesToClient() < 65_536 + 8192, "relay sent " + relay.bytesToClient());
        }
    }

    /** Neighbouring parts go out as one GET of their span; the gaps' bytes are dropped, a cut resumed. */
    @Test
    void partsAreOneRangedGetAndACutBodyResumesInTheRightPart() throws Exception {
        for (int cutAt : new int[] {0, 150_000}) { // no cut; a cut inside the second part's span
            FaultProxy proxy = FaultProxy.start(server.endpoint());
            if (cutAt > 0) {
                proxy.cutConnections(2, cutAt, FaultProxy.Cut.RESET);
            }
            try (FaultProxy relay = proxy;
                 BlobStore store = relayed(relay, FAST);
                 BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
                long[] at = {10_000, 80_000, 300_000};
                int[] len = {4096, 100_000, 512};
                java.util.List<io.qcow2j.core.ReadPart> parts = new java.util.ArrayList<>();
                for (int i = 0; i < at.length; i++) {
                    parts.add(new io.qcow2j.core.ReadPart(at[i], ByteBuffer.allocate(len[i])));
                }
                s.readFully(parts, "test parts");
                for (int i = 0; i < at.length; i++) {
                    assertArrayEquals(Arrays.copyOfRange(content, (int) at[i], (int) at[i] + len[i]),
                            parts.get(i).dst().array(), "part " + i + ", cut at " + cutAt);
                    assertFalse(parts.get(i).dst().hasRemaining());
                }
                long gets = relay.requests().stream().filter(r -> r.method().equals("GET")).count();
                if (cutAt == 0) {
                    assertEquals(1, gets, "one GET for three parts");
                    assertEquals("bytes=10000-300511", relay.requests().get(1).header("x-ms-range"));
                } else {
                    assertTrue(store.statistics().retries() >= 1, store.statistics().toString());
                }
            }
        }
    }

    @Test
    void connectionStringReachesTheSameBlob() throws Exception {
        AzureSettings settings = AzureSettings.of(null, new AzureCredentials.ConnectionString(
                AzuriteServer.connectionString(server.endpoint())));
        try (BlobStore store = BlobStore.create(settings);
             BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
            assertArrayEquals(Arrays.copyOfRange(content, 0, 512), read(s, 0, 512));
        }
    }

    @Test
    void connectionsCutMidBodyAreResumedNeverTakenAsZeros() throws Exception {
        for (FaultProxy.Cut how : new FaultProxy.Cut[] {FaultProxy.Cut.RESET, FaultProxy.Cut.CLOSE}) {
            // faults set before the HEAD: its kept-alive connection carries the first GET
            try (FaultProxy relay = FaultProxy.start(server.endpoint()).cutConnections(2, 100_000, how);
                 BlobStore store = relayed(relay, FAST);
                 BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
                assertArrayEquals(Arrays.copyOfRange(content, 4096, 4096 + (1 << 20)), read(s, 4096, 1 << 20), how.name());
                assertTrue(store.statistics().retries() >= 1, how + ": " + store.statistics());
            }
        }
    }

    @Test
    void aConnectionCutOnEveryAttemptFailsNamingBlobAndOffset() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint()).cutConnections(100, 4000, FaultProxy.Cut.RESET);
             BlobStore store = relayed(relay, new RetryPolicy(3, Duration.ZERO, Duration.ZERO));
             BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
            BlobStoreException e = assertThrows(BlobStoreException.class, () -> read(s, 8192, 1 << 20));
            assertTrue(e.getMessage().contains("az://" + container + "/disk.qcow2"), e.getMessage());
            assertTrue(e.getMessage().contains("bytes=8192-") && e.getMessage().contains("after 3 attempts"),
                    e.getMessage());
            assertEquals(8192, e.offset());
        }
    }

    @Test
    void throttlingAndServerErrorsAreRetried() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint());
             BlobStore store = relayed(relay, FAST);
             BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
            relay.slowDown(2); // 503 answers
            assertArrayEquals(Arrays.copyOfRange(content, 0, 4096), read(s, 0, 4096));
            assertEquals(2, store.statistics().retries());
        }
    }

    @Test
    void aBlobReplacedAfterOpeningFailsInsteadOfMixingVersions() throws Exception {
        String c = server.createContainer();
        server.put(c, "b", content);
        try (BlobStore store = BlobStore.create(AzuriteServer.settings(server.endpoint()));
             BlobByteSource s = store.open(new BlobLocation(c, "b"))) {
            read(s, 0, 4096);
            byte[] other = content.clone();
            other[5000] ^= 1;
            server.put(c, "b", other);
            BlobStoreException e = assertThrows(BlobStoreException.Changed.class, () -> read(s, 4096, 4096));
            assertTrue(e.getMessage().contains("changed since it was opened"), e.getMessage());
            assertEquals(412, e.httpStatus());
        }
    }

    @Test
    void wrongKeyIsAccessDeniedNamingTheBlob() throws Exception {
        AzureSettings wrong = AzureSettings.of(server.endpoint(), new AzureCredentials.SharedKey(AzuriteServer.ACCOUNT,
                java.util.Base64.getEncoder().encodeToString(new byte[32])));
        try (BlobStore store = BlobStore.create(wrong)) {
            BlobStoreException e = assertThrows(BlobStoreException.AccessDenied.class,
                    () -> store.open(new BlobLocation(container, "disk.qcow2")));
            assertEquals(403, e.httpStatus());
            assertTrue(e.getMessage().contains("az://" + container + "/disk.qcow2: HEAD: access denied"),
                    e.getMessage());
            assertEquals(1, store.statistics().requests(), "a refusal is not retried");
        }
    }

    @Test
    void missingContainerAndMissingBlobAreTold() throws Exception {
        try (BlobStore store = BlobStore.create(AzuriteServer.settings(server.endpoint()))) {
            BlobStoreException.NotFound blob = assertThrows(BlobStoreException.NotFound.class,
                    () -> store.open(new BlobLocation(container, "nope")));
            assertFalse(blob.containerMissing());
            assertTrue(blob.getMessage().contains("no such blob"), blob.getMessage());
            BlobStoreException.NotFound box = assertThrows(BlobStoreException.NotFound.class,
                    () -> store.open(new BlobLocation("no-such-container", "x")));
            assertTrue(box.containerMissing());
            assertTrue(box.getMessage().contains("container 'no-such-container' does not exist"), box.getMessage());

            ObjectStoreBackupLocation location = new ObjectStoreBackupLocation(store.container(container), "pre/");
            assertTrue(location.open("absent.json").isEmpty());
            assertEquals("az://" + container + "/pre/k", location.nameOf("k"));
            ObjectStoreBackupLocation missing = new ObjectStoreBackupLocation(store.container("no-such-container"), "pre");
            assertThrows(BlobStoreException.NotFound.class, () -> missing.read("index.json", 1024));
        }
    }

    @Test
    void aRangePastTheEndFailsBeforeAnyRequest() throws Exception {
        try (BlobStore store = BlobStore.create(AzuriteServer.settings(server.endpoint()));
             BlobByteSource s = store.open(new BlobLocation(container, "disk.qcow2"))) {
            long before = store.statistics().requests();
            assertThrows(InvalidImageException.class, () -> read(s, content.length - 10, 64));
            assertEquals(before, store.statistics().requests());
            assertEquals(-1, s.read(ByteBuffer.allocate(8), content.length));
        }
    }
}
