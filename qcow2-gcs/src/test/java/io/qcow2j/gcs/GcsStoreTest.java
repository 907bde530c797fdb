package io.qcow2j.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.remote.RetryPolicy;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.gcs.testing.GcsEmulatorServer;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link GcsStore} against the Cloud Storage emulator on loopback, faults injected at TCP level by {@link FaultProxy}. */
class GcsStoreTest {
    private static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(1), Duration.ofMillis(10));
    private static GcsEmulatorServer server;
    private static String bucket;
    private static byte[] content;

    @TempDir
    Path dir;

    /** Per test, not per class: without the emulator each test is reported skipped, not the class silently. */
    @BeforeEach
    void upload() throws Exception {
        server = GcsEmulatorServer.shared();
        if (bucket == null) {
            String b = server.createBucket();
            content = new byte[3 << 20];
            new Random(34).nextBytes(content);
            server.put(b, "vm/disk.qcow2", content);
            bucket = b;
        }
    }

    /** A store reaching the server through {@code relay}. */
    private static GcsStore relayed(FaultProxy relay, RetryPolicy retry) {
        return GcsStore.create(GcsEmulatorServer.settings(relay.endpoint()).withRetry(retry));
    }

    private static byte[] read(GcsByteSource s, long position, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.readFully(b, position, "test range");
        return b.array();
    }

    private static GcsLocation disk() {
        return new GcsLocation(bucket, "vm/disk.qcow2");
    }

    /** Neighbouring parts go out as one media GET of their span, the gaps dropped; a cut body resumes. */
    @Test
    void partsAreOneMediaGetAndACutBodyResumesInTheRightPart() throws Exception {
        for (int cutAt : new int[] {0, 150_000}) {
            FaultProxy proxy = FaultProxy.start(server.endpoint());
            if (cutAt > 0) {
                proxy.cutConnections(2, cutAt, FaultProxy.Cut.RESET);
            }
            try (FaultProxy relay = proxy;
                 GcsStore store = relayed(relay, FAST);
                 GcsByteSource s = store.open(disk())) {
                List<io.qcow2j.core.ReadPart> parts = List.of(
                        new io.qcow2j.core.ReadPart(10_000, ByteBuffer.allocate(4096)),
                        new io.qcow2j.core.ReadPart(80_000, ByteBuffer.allocate(100_000)),
                        new io.qcow2j.core.ReadPart(300_000, ByteBuffer.allocate(512)));
                s.readFully(parts, "test parts");
                for (io.qcow2j.core.ReadPart p : parts) {
                    int from = (int) p.position();
                    assertArrayEquals(Arrays.copyOfRange(content, from, from + p.dst().capacity()), p.dst().array(),
                            "part at " + from + ", cut at " + cutAt);
                }
                List<FaultProxy.Request> media = relay.requests().stream()
                        .filter(r -> r.target().contains("alt=media")).toList();
                if (cutAt == 0) {
                    assertEquals(1, media.size(), "one media GET for three parts");
                    assertEquals("bytes=10000-300511", media.get(0).header("Range"));
                } else {
                    assertTrue(store.statistics().retries() >= 1, store.statistics().toString());
                }
            }
        }
    }

    @Test
    void rangedReadsReturnTheObjectsBytesAndOnlyThose() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint());
             GcsStore store = relayed(relay, FAST);
             GcsByteSource s = store.open(disk())) {
            assertEquals(content.length, s.size());
            assertEquals("gs://" + bucket + "/vm/disk.qcow2", s.name());
            assertTrue(s.info().generation() > 0, s.info().toString());
            assertArrayEquals(Arrays.copyOfRange(content, 1_000_000, 1_065_536), read(s, 1_000_000, 65_536));
            assertEquals(65_536, store.statistics().bytesFetched());
            assertEquals(2, store.statistics().requests());
            // every GET pinned to the generation the metadata request saw, and asking for its range only
            FaultProxy.Request get = relay.requests().get(1);
            assertEquals("GET", get.method());
            assertTrue(get.target().contains("alt=media") && get.target().contains("vm%2Fdisk.qcow2")
                    && get.target().contains("ifGenerationMatch=" + s.info().generation()), get.target());
            assertEquals("bytes=1000000-1065535", get.header("Range"));
            assertTrue(relay.bytesToClient() < 65_536 + 8192, "relay sent " + relay.bytesToClient());
        }
    }

    @Test
    void connectionsCutMidBodyAreResumedNeverTakenAsZeros() throws Exception {
        for (FaultProxy.Cut how : new FaultProxy.Cut[] {FaultProxy.Cut.RESET, FaultProxy.Cut.CLOSE}) {
            // faults set before the metadata request: its kept-alive connection carries the first GET
            try (FaultProxy relay = FaultProxy.start(server.endpoint()).cutConnections(2, 100_000, how);
                 GcsStore store = relayed(relay, FAST);
                 GcsByteSource s = store.open(disk())) {
                assertArrayEquals(Arrays.copyOfRange(content, 4096, 4096 + (1 << 20)), read(s, 4096, 1 << 20),
                        how.name());
                assertTrue(store.statistics().retries() >= 1, how + ": " + store.statistics());
            }
        }
    }

    @Test
    void aConnectionCutOnEveryAttemptFailsNamingObjectAndOffset() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint()).cutConnections(100, 4000, FaultProxy.Cut.RESET);
             GcsStore store = relayed(relay, new RetryPolicy(3, Duration.ZERO, Duration.ZERO));
             GcsByteSource s = store.open(disk())) {
            GcsStoreException e = assertThrows(GcsStoreException.class, () -> read(s, 8192, 1 << 20));
            assertTrue(e.getMessage().contains("gs://" + bucket + "/vm/disk.qcow2"), e.getMessage());
            assertTrue(e.getMessage().contains("bytes=8192-") && e.getMessage().contains("after 3 attempts"),
                    e.getMessage());
            assertEquals(8192, e.offset());
        }
    }

    @Test
    // cutting the trickle must not wait for it (a drain took minutes); a separate thread, as a
    // thread stuck in a socket read ignores the interrupt
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBodyThatTricklesPastTheDeadlineIsRetried() throws Exception {
        // the metadata response and the GET's head pass, then the body trickles: never silent, never done
        try (FaultProxy relay = FaultProxy.start(server.endpoint()).trickle(1, Duration.ofMillis(100), 4096);
             GcsStore store = GcsStore.create(GcsEmulatorServer.settings(relay.endpoint()).withRetry(FAST)
                     .withTimeouts(Duration.ofMillis(300), 1 << 30, Duration.ofSeconds(10)));
             GcsByteSource s = store.open(disk())) {
            assertArrayEquals(Arrays.copyOfRange(content, 0, 256 << 10), read(s, 0, 256 << 10));
            assertEquals(1, store.statistics().retries(), store.statistics().toString());
        }
    }

    @Test
    void throttlingAndServerErrorsAreRetried() throws Exception {
        try (FaultProxy relay = FaultProxy.start(server.endpoint());
             GcsStore store = relayed(relay, FAST);
             GcsByteSource s = store.open(disk())) {
            relay.slowDown(2); // 503 answers
            assertArrayEquals(Arrays.copyOfRange(content, 0, 4096), read(s, 0, 4096));
            assertEquals(2, store.statistics().retries());
        }
    }

    @Test
    void anObjectReplacedAfterOpeningFailsInsteadOfMixingVersions() throws Exception {
        String b = server.createBucket();
        long first = server.put(b, "o", content);
        try (GcsStore store = GcsStore.create(GcsEmulatorServer.settings(server.endpoint()));
             GcsByteSource s = store.open(new GcsLocation(b, "o"))) {
            assertEquals(first, s.info().generation());
            read(s, 0, 4096);
            byte[] other = content.clone();
            other[5000] ^= 1;
            Thread.sleep(2); // the emulator's generations are milliseconds
            server.put(b, "o", other);
            GcsStoreException e = assertThrows(GcsStoreException.Changed.class, () -> read(s, 4096, 4096));
            assertTrue(e.getMessage().contains("changed since it was opened"), e.getMessage());
            assertTrue(e.getMessage().contains("generation " + first), e.getMessage());
            assertEquals(2 + 1, store.statistics().requests(), "a change is not retried");
        }
    }

    @Test
    void credentialsThatGetNoTokenAreAccessDeniedNamingTheObject() throws Exception {
        // a well-formed service account key whose token endpoint (the emulator, which has none) refuses
        Path key = GcsEmulatorServer.serviceAccountKey(dir.resolve("key.json"), server.endpoint() + "/token");
        GcsSettings settings = GcsSettings.of(server.endpoint(), new GcsCredentials.KeyFile(key, "TEST_KEY"));
        try (GcsStore store = GcsStore.create(settings)) {
            GcsStoreException e = assertThrows(GcsStoreException.AccessDenied.class, () -> store.open(disk()));
            assertTrue(e.getMessage().contains("gs://" + bucket + "/vm/disk.qcow2: GET metadata: no usable"
                    + " credentials"), e.getMessage());
            assertEquals(1, store.statistics().requests(), "a refusal is not retried");
        }
    }

    @Test
    void unusableCredentialsFilesAreRefusedNamingWhatNamedThem() throws Exception {
        Path missing = dir.resolve("nope.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcsStore.create(
                GcsSettings.of(server.endpoint(), new GcsCredentials.KeyFile(missing, "GOOGLE_APPLICATION_CREDENTIALS"))));
        assertEquals("GOOGLE_APPLICATION_CREDENTIALS: " + missing + ": no such file", e.getMessage());
        Path garbage = Files.writeString(dir.resolve("cloud"), "[default]\naws_access_key_id = x\n");
        e = assertThrows(IllegalArgumentException.class, () -> GcsStore.create(
                GcsSettings.of(server.endpoint(), new GcsCredentials.KeyFile(garbage, "KUBEVIRT_DM_CREDENTIALS_FILE"))));
        assertTrue(e.getMessage().startsWith("KUBEVIRT_DM_CREDENTIALS_FILE: " + garbage
                + ": not a service account or external account credentials file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GcsStore.create(
                GcsEmulatorServer.settings(server.endpoint()).withImpersonation("sa@p.iam.gserviceaccount.com")));
        assertTrue(e.getMessage().contains("needs credentials"), e.getMessage());
    }

    @Test
    void aMissingObjectIsNotFoundAndAbsentInABackupLocation() throws Exception {
        try (GcsStore store = GcsStore.create(GcsEmulatorServer.settings(server.endpoint()))) {
            GcsStoreException.NotFound e = assertThrows(GcsStoreException.NotFound.class,
                    () -> store.open(new GcsLocation(bucket, "nope")));
            assertFalse(e.bucketMissing());
            assertEquals(404, e.httpStatus());
            assertTrue(e.getMessage().contains("gs://" + bucket + "/nope: GET metadata: no such object"),
                    e.getMessage());
            assertEquals(1, store.statistics().requests(), "a 404 is not retried");

            ObjectStoreBackupLocation location = new ObjectStoreBackupLocation(store.bucket(bucket), "vm/");
            assertTrue(location.open("absent.json").isEmpty());
            assertEquals("gs://" + bucket + "/vm/k", location.nameOf("k"));
            assertEquals(content.length, location.size("disk.qcow2").orElseThrow());
        }
    }

    @Test
    void listingGivesTheNamesOneSegmentDeepSorted() throws Exception {
        String b = server.createBucket();
        for (String name : new String[] {"p/checkpoints/ns/vm/index.json", "p/checkpoints/ns/vm/c2/d.qcow2",
                "p/checkpoints/ns/vm/c1/d.qcow2", "p/checkpoints/ns/vmx/index.json", "p/other"}) {
            server.put(b, name, new byte[] {1});
        }
        try (GcsStore store = GcsStore.create(GcsEmulatorServer.settings(server.endpoint()))) {
            ObjectStoreBackupLocation location = new ObjectStoreBackupLocation(store.bucket(b), "p");
            assertEquals(List.of("c1", "c2", "index.json"), location.list("checkpoints/ns/vm"));
            assertEquals(List.of("vm", "vmx"), location.list("checkpoints/ns"));
            assertEquals(List.of(), location.list("checkpoints/none"));
        }
    }

    @Test
    void aRangePastTheEndFailsBeforeAnyRequest() throws Exception {
        try (GcsStore store = GcsStore.create(GcsEmulatorServer.settings(server.endpoint()));
             GcsByteSource s = store.open(disk())) {
            long before = store.statistics().requests();
            assertThrows(InvalidImageException.class, () -> read(s, content.length - 10, 64));
            assertEquals(before, store.statistics().requests());
            assertEquals(-1, s.read(ByteBuffer.allocate(8), content.length));
        }
    }
}
