package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.oadp.ControllerBackup;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;

/**
 * {@code verify-backup} and {@code datamover-verify} against a real S3 server (S3Proxy on loopback,
 * behind a relay that counts the bytes): three backups sharing checkpoints (b2 = cp1 cp2,
 * b3 = cp1 cp2 cp3, b5 = cp4 cp5), two disks each; every kind of damage reported BROKEN for exactly
 * the backup disks whose chain it is in; {@code --deep} digests equal to real restores'; and
 * {@code --expect-digest} refusing a restore whose disk differs.
 */
@RequiresQemu
class VerifyBackupTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    ControllerBackup layout;
    FaultProxy proxy;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        layout = dm.layout;
        layout.backup("b2", "cp1", "cp2");
        proxy = FaultProxy.start(backups.server.endpoint());
    }

    @AfterEach
    void closeProxy() throws IOException {
        proxy.close();
    }

    private Map<String, String> awsEnv() {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_") && !k.startsWith("KUBEVIRT_DM_")) {
                env.put(k, v);
            }
        });
        env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
        return env;
    }

    private CliRun verify(String bucket, String... more) {
        List<String> args = new ArrayList<>(List.of("verify-backup", "--json", "--progress", "json", "--bucket",
                bucket, "--prefix", S3Backups.PREFIX));
        args.addAll(List.of(more));
        return CliRun.cli(awsEnv(), args.toArray(String[]::new));
    }

    /** backup/volume of every BROKEN line ({@code backup/-} when the VM's disks could not be told). */
    private static Set<String> broken(JsonNode report) {
        Set<String> out = new TreeSet<>();
        for (JsonNode d : report.path("disks")) {
            if (d.path("status").asText().equals("broken")) {
                out.add(d.path("backup").asText() + "/" + (d.hasNonNull("disk") ? d.path("disk").asText() : "-"));
                JsonNode f = d.path("findings").get(0);
                assertTrue(f.hasNonNull("kind") && f.hasNonNull("message") && f.has("resource") && f.has("structure")
                        && f.has("offset"), "a finding as the error object: " + f);
            } else {
                assertEquals(0, d.path("findings").size(), d.toString());
            }
        }
        return out;
    }

    private String uploadDamaged(Consumer<ControllerBackup> breakLayout) throws IOException {
        breakLayout.accept(layout);
        return backups.upload(layout);
    }

    private void assertBroken(String bucket, Set<String> expected, String reason) throws IOException {
        CliRun r = verify(bucket);
        assertEquals(3, r.exit(), r.err());
        JsonNode report = JSON.readTree(r.out());
        assertEquals("broken", report.path("status").asText());
        assertEquals(expected, broken(report), r.out());
        List<String> errors = r.lines("error: ");
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains(reason), errors.get(0));
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void healthyLocationReadsOnlyMetadata() throws IOException {
        String bucket = backups.upload(layout);
        long before = proxy.bytesToClient();
        CliRun r = verify(bucket);
        long relayed = proxy.bytesToClient() - before;
        assertEquals(0, r.exit(), r.err());
        JsonNode report = JSON.readTree(r.out());
        assertEquals("ok", report.path("status").asText());
        assertEquals(6, report.path("checked").asInt(), "3 backups x 2 disks");
        assertEquals(Set.of(), broken(report));
        long chainBytes = 0;
        for (Path p : layout.images.values()) {
            chainBytes += Files.size(p);
        }
        // every object is proven once per backup that uses it, yet far less than the objects travel
        assertTrue(relayed < chainBytes / 5, "relayed " + relayed + " bytes for " + chainBytes + " bytes of images");
        assertTrue(report.path("bytes-fetched").asLong() <= relayed, report.toString());
        JsonNode b3 = null;
        for (JsonNode d : report.path("disks")) {
            if (d.path("backup").asText().equals("b3") && d.path("disk").asText().equals("rootdisk")) {
                b3 = d;
            }
        }
        assertEquals(List.of("cp1", "cp2", "cp3"), JSON.convertValue(b3.path("checkpoints"), List.class));
        assertEquals(16 * S3Backups.M, b3.path("virtual-size").asLong());
        assertTrue(b3.path("winning-bytes").asLong() > 0
                && b3.path("winning-bytes").asLong() < b3.path("image-bytes").asLong(), b3.toString());
        assertEquals(0, report.path("missing-checkpoints").size());
        assertEquals(0, report.path("unreferenced-checkpoints").size());
        // every field docs/cli-contract.md names
        for (String f : List.of("status", "location", "deep", "checked", "broken", "disks", "missing-checkpoints",
                "unreferenced-checkpoints", "problems", "location-calls", "bytes-read", "seconds", "bytes-fetched",
                "requests", "retries")) {
            assertTrue(report.has(f), f);
        }
        for (String f : List.of("backup", "namespace", "vm", "pvc", "disk", "status", "chain-length", "checkpoints",
                "virtual-size", "pvc-size", "image-bytes", "winning-bytes", "requests", "bytes-read", "findings")) {
            assertTrue(b3.has(f), f);
        }
        assertEquals(1L << 30, b3.path("pvc-size").asLong());
        assertTrue(b3.path("bytes-read").asLong() > 0 && b3.path("requests").asLong() > 0, b3.toString());
        assertReadsLittleBeyondTheL2Floor(report, relayed);
        List<JsonNode> events = r.events();
        assertEquals("start", events.get(0).path("event").asText());
        assertEquals(6, events.stream().filter(e -> e.path("event").asText().equals("progress")).count());
        assertEquals("done", events.get(events.size() - 1).path("event").asText());
    }

    /**
     * What proving each disk must read is its images' L2 tables (all validated, as a restore does);
     * beyond them each image's open reads its header (in one 64 KiB read-ahead, or its first
     * cluster when larger), a one-cluster refcount table and a few bytes of L1. Each disk's own count
     * stays within that, and so does what crossed the relay, but for the listings, JSON and HTTP
     * headers. (The restore's 256 KiB read-ahead, or reading the tables twice, does not fit.)
     */
    private void assertReadsLittleBeyondTheL2Floor(JsonNode report, long relayed) throws IOException {
        long allFloor = 0;
        long allBound = 0;
        for (JsonNode d : report.path("disks")) {
            long floor = 0;
            long other = 0;
            for (JsonNode id : d.path("checkpoints")) {
                Path img = layout.images.get(layout.key(id.asText(), d.path("disk").asText()));
                try (Qcow2Image q = Qcow2Image.open(img)) {
                    floor += q.allocatedL2Tables() * q.clusterSize();
                    other += Math.max(64 << 10, q.clusterSize()) + q.clusterSize() + 4096;
                }
            }
            long read = d.path("bytes-read").asLong();
            assertTrue(floor > 0 && read >= floor && read <= floor + other, d.path("backup").asText() + "/"
                    + d.path("disk").asText() + ": read " + read + " bytes; L2 floor " + floor + ", other metadata"
                    + " at most " + other);
            allFloor += floor;
            allBound += floor + other;
        }
        long slack = 128 << 10; // listings, manifests, indexes and HTTP headers
        assertTrue(relayed <= allBound + slack, "relayed " + relayed + " bytes; L2 floor of the checked disks "
                + allFloor + ", with their other metadata " + allBound);
    }

    @Test
    void tableForPeople() throws IOException {
        String bucket = uploadDamaged(b -> b.entry("cp3").put("parent", "cp1"));
        CliRun r = CliRun.cli(awsEnv(), "verify-backup", "--bucket", bucket, "--prefix", S3Backups.PREFIX);
        assertEquals(3, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("STATUS"), r.out());
        assertEquals(4, lines.stream().filter(l -> l.startsWith("OK ")).count(), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("BROKEN") && l.contains(" b3 ")
                && l.contains("parent is cp1")), r.out());
        assertTrue(r.out().contains("4 of 5 backup disk(s) restorable"), r.out());
    }

    @Test
    void deletedObject() throws IOException {
        String bucket = backups.upload(layout);
        backups.server.client().deleteObject(DeleteObjectRequest.builder().bucket(bucket)
                .key(S3Backups.PREFIX + "/" + layout.key("cp3", "rootdisk")).build());
        assertBroken(bucket, Set.of("b3/rootdisk"), "not found");
        JsonNode report = JSON.readTree(verify(bucket).out());
        assertEquals(1, report.path("missing-checkpoints").size(), report.toString());
        assertEquals("cp3", report.path("missing-checkpoints").get(0).path("checkpoint").asText());
    }

    @Test
    void truncatedObject() throws IOException {
        Path img = Files.copy(backups.chain("b3", "rootdisk").get(1), dir.resolve("cp2.qcow2"));
        try (ImagePoker p = ImagePoker.open(img)) {
            p.truncate(p.fileSize() - 65536);
        }
        String bucket = uploadDamaged(b -> replace(b, "cp2", "rootdisk", img));
        assertBroken(bucket, Set.of("b2/rootdisk", "b3/rootdisk"), "checkpoint cp2");
    }

    @Test
    void objectReplacedByAnotherCheckpointsFile() throws IOException {
        String bucket = uploadDamaged(b -> replace(b, "cp3", "rootdisk", backups.chain("b5", "rootdisk").get(0)));
        assertBroken(bucket, Set.of("b3/rootdisk"), "stores no backing file");
    }

    @Test
    void sizeMismatch() throws IOException {
        String bucket = uploadDamaged(b -> b.file("cp5", "datadisk").put("size", 1));
        assertBroken(bucket, Set.of("b5/datadisk"), "size mismatch");
    }

    @Test
    void corruptL2Entry() throws IOException {
        Path img = Files.copy(backups.chain("b3", "datadisk").get(1), dir.resolve("cp2-data.qcow2"));
        try (ImagePoker p = ImagePoker.open(img)) {
            p.orLong(p.findL2Entry("a data cluster", ImagePoker.L2Ref::data).pos(), 1L << 3); // a reserved bit
        }
        String bucket = uploadDamaged(b -> replace(b, "cp2", "datadisk", img));
        assertBroken(bucket, Set.of("b2/datadisk", "b3/datadisk"), "L2");
    }

    @Test
    void supersededChainStillReferenced() throws IOException {
        String bucket = uploadDamaged(b -> b.entry("cp1").put("superseded", true));
        assertBroken(bucket, Set.of("b2/rootdisk", "b2/datadisk", "b3/rootdisk", "b3/datadisk"), "superseded");
    }

    @Test
    void checkpointMissingFromTheIndex() throws IOException {
        String bucket = uploadDamaged(b -> {
            var cps = b.index.withArray("checkpoints");
            cps.remove(cps.size() - 1); // cp5
        });
        assertBroken(bucket, Set.of("b5/-"), "not in the index");
        JsonNode report = JSON.readTree(verify(bucket).out());
        assertEquals("b5", report.path("missing-checkpoints").get(0).path("backup").asText());
        assertEquals("cp5", report.path("missing-checkpoints").get(0).path("checkpoint").asText());
        // its objects are still there, outside the index, but b5 names them: not reclaimable
        assertEquals(0, report.path("unreferenced-checkpoints").size(), report.toString());
    }

    @Test
    void wrongParent() throws IOException {
        String bucket = uploadDamaged(b -> b.entry("cp3").put("parent", "cp1"));
        assertBroken(bucket, Set.of("b3/-"), "parent is cp1");
    }

    @Test
    void unreferencedCheckpointIsListedNotDeleted() throws IOException {
        layout.manifests.remove("b5"); // cp4 and cp5 are referenced by no backup any more
        String bucket = backups.upload(layout);
        CliRun r = verify(bucket);
        assertEquals(0, r.exit(), r.err());
        JsonNode report = JSON.readTree(r.out());
        List<String> ids = new ArrayList<>();
        report.path("unreferenced-checkpoints").forEach(u -> ids.add(u.path("checkpoint").asText()));
        assertEquals(List.of("cp4", "cp5"), ids);
        assertTrue(report.path("unreferenced-checkpoints").get(0).path("bytes").asLong() > 0);
        assertEquals(0, verify(bucket).exit(), "nothing was deleted: the same again");
    }

    @Test
    void deepDigestIsTheDigestOfARestoreAndExpectDigestHoldsRestoresToIt() throws IOException {
        String bucket = backups.upload(layout);
        CliRun r = verify(bucket, "--deep");
        assertEquals(0, r.exit(), r.err());
        JsonNode report = JSON.readTree(r.out());
        Map<String, String> digests = new HashMap<>();
        for (JsonNode d : report.path("disks")) {
            assertTrue(d.path("digest").asText().startsWith("xxh64-64k:"), d.toString());
            digests.put(d.path("backup").asText() + "/" + d.path("disk").asText(), d.path("digest").asText());
        }
        assertEquals(6, digests.size());
        for (String backup : List.of("b2", "b3", "b5")) {
            Path root = dir.resolve(backup + "-root.raw");
            Path data = dir.resolve(backup + "-data.raw");
            CliRun restore = CliRun.cli(awsEnv(), "restore-vm", "--json", "--bucket", bucket, "--prefix",
                    S3Backups.PREFIX, "--backup", backup, "--namespace", layout.ns, "--vm", layout.vm,
                    "--target", "rootdisk=" + root, "--target", "datadisk=" + data,
                    "--expect-digest", "rootdisk=" + digests.get(backup + "/rootdisk"),
                    "--expect-digest", "datadisk=" + digests.get(backup + "/datadisk"));
            assertEquals(0, restore.exit(), restore.err());
            for (JsonNode d : JSON.readTree(restore.out()).path("disks")) {
                assertEquals(digests.get(backup + "/" + d.path("disk").asText()), d.path("digest").asText(), backup);
            }
        }
        // b3's digest for b5's disk: the restore completes but must not report success
        Path target = dir.resolve("wrong.raw");
        CliRun wrong = CliRun.cli(awsEnv(), "restore-vm", "--bucket", bucket, "--prefix", S3Backups.PREFIX,
                "--backup", "b5", "--namespace", layout.ns, "--vm", layout.vm, "--target", "rootdisk=" + target,
                "--target", "datadisk=" + dir.resolve("wrong-data.raw"),
                "--expect-digest", "rootdisk=" + digests.get("b3/rootdisk"));
        assertEquals(4, wrong.exit(), wrong.err());
        assertEquals(1, wrong.lines("error: ").size(), wrong.err());
        assertTrue(wrong.lines("error: ").get(0).contains("digest mismatch"), wrong.err());
    }

    @Test
    void restoreExpectDigest() throws IOException {
        String bucket = backups.upload(layout);
        JsonNode report = JSON.readTree(verify(bucket, "--deep", "--backup", "b3", "--namespace", layout.ns,
                "--vm", layout.vm, "--disk", "rootdisk").out());
        assertEquals(1, report.path("checked").asInt());
        String digest = report.path("disks").get(0).path("digest").asText();
        List<String> images = new ArrayList<>();
        backups.chain("b3", "rootdisk").forEach(p -> images.add(p.toString()));
        List<String> ok = new ArrayList<>(List.of("restore", "--output", dir.resolve("ok.raw").toString(),
                "--expect-digest", digest));
        ok.addAll(images);
        assertEquals(0, CliRun.cli(ok).exit());
        List<String> bad = new ArrayList<>(List.of("restore", "--json", "--output", dir.resolve("bad.raw").toString(),
                "--expect-digest", "xxh64-64k:0123456789abcdef"));
        bad.addAll(images);
        CliRun r = CliRun.cli(bad);
        assertEquals(4, r.exit(), r.err());
        assertEquals("incomplete", JSON.readTree(r.out()).path("error").path("kind").asText(), r.out());
        List<String> malformed = new ArrayList<>(List.of("restore", "--output", dir.resolve("m.raw").toString(),
                "--expect-digest", "xxh64-64k:nothex"));
        malformed.addAll(images);
        CliRun m = CliRun.cli(malformed);
        assertEquals(2, m.exit(), m.err());
        assertFalse(Files.exists(dir.resolve("m.raw")));
    }

    @Test
    void datamoverVerifyAndExpectDigestFromTheEnvironment() throws IOException {
        String bucket = backups.upload(layout);
        Map<String, String> env = dm.env(bucket, "b3", "rootdisk", proxy.endpoint());
        CliRun v = CliRun.cli(env, "datamover-verify", "--json", "--deep");
        assertEquals(0, v.exit(), v.err());
        JsonNode report = JSON.readTree(v.out());
        assertEquals(1, report.path("checked").asInt(), "the volume of the environment only");
        String digest = report.path("disks").get(0).path("digest").asText();
        assertTrue(report.path("requests").asLong() > 0, report.toString());

        env.put("KUBEVIRT_DM_EXPECT_DIGEST", digest);
        dm.assertRestored(DatamoverRun.run(env), "b3", "rootdisk");
        Files.delete(dm.target);
        env.put("KUBEVIRT_DM_EXPECT_DIGEST", "xxh64-64k:0123456789abcdef");
        dm.assertRefused(DatamoverRun.run(env), 4, "digest mismatch");
        env.put("KUBEVIRT_DM_EXPECT_DIGEST", "sha256:abc");
        dm.assertRefused(DatamoverRun.run(env), 2, "KUBEVIRT_DM_EXPECT_DIGEST");
    }

    @Test
    void localDirectory() throws IOException {
        Path root = dir.resolve("bsl");
        layout.writeTo(root);
        CliRun ok = CliRun.cli("verify-backup", "--json", "--root", root.toString());
        assertEquals(0, ok.exit(), ok.err());
        assertEquals(6, JSON.readTree(ok.out()).path("checked").asInt());
        Files.delete(root.resolve(layout.key("cp4", "datadisk")));
        CliRun r = CliRun.cli("verify-backup", "--json", "--root", root.toString());
        assertEquals(3, r.exit(), r.err());
        assertEquals(Set.of("b5/datadisk"), broken(JSON.readTree(r.out())));
    }

    @Test
    void usage() {
        assertEquals(2, CliRun.cli("verify-backup", "--root", dir.toString(), "--vm", "vm1").exit());
        assertEquals(2, CliRun.cli("verify-backup").exit());
        assertEquals(2, CliRun.cli("verify-backup", "--root", dir.toString(), "--disk", "d").exit());
    }

    /** The object of {@code disk} in checkpoint {@code id} becomes {@code file}, its recorded size too. */
    private static void replace(ControllerBackup b, String id, String disk, Path file) {
        try {
            b.images.put(b.key(id, disk), file);
            b.file(id, disk).put("size", Files.size(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
