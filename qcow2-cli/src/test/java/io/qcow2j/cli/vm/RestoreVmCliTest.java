package io.qcow2j.cli.vm;

import static io.qcow2j.cli.vm.VmBackupImages.DISK0_SIZE;
import static io.qcow2j.cli.vm.VmBackupImages.DISK1_SIZE;
import static io.qcow2j.oadp.VmLayoutFixture.NS;
import static io.qcow2j.oadp.VmLayoutFixture.PVC0;
import static io.qcow2j.oadp.VmLayoutFixture.PVC1;
import static io.qcow2j.oadp.VmLayoutFixture.VM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.Main;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.cli.ExitCode;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.oadp.VmLayoutFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code restore-vm} end to end through the CLI, on the contract's two-disk, four-checkpoint layout
 * made with qemu: every restored disk must equal qemu's chained restore of that disk's images, the
 * summary must report the digest of that oracle, and {@code --dry-run} must write nothing and show
 * the plan a person can check against the layout.
 */
@RequiresQemu
class RestoreVmCliTest extends RestoreVmTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PVCS = {PVC0, PVC1};
    private static final long[] SIZES = {DISK0_SIZE, DISK1_SIZE};

    @BeforeEach
    void writeLayout() {
        fx.write();
    }

    /** restore-vm for {@code backup} into t0/t1 (PVC1's target first, as the contract does). */
    private Cli restoreVm(String backup, String... extra) {
        List<String> args = new ArrayList<>(List.of("restore-vm", "--root", fx.root.toString(), "--backup", backup,
                "--namespace", NS, "--vm", VM, "--target", PVC1 + "=" + t1, "--target", PVC0 + "=" + t0));
        args.addAll(List.of(extra));
        return Cli.run(args);
    }

    private static byte[] garbage(Path file, long size, long seed) throws IOException {
        byte[] b = new byte[(int) size];
        new Random(seed).nextBytes(b);
        Files.write(file, b);
        return b;
    }

    private static int checkpoints(String backup) {
        return backup.equals("bk-3") ? 3 : 4;
    }

    /** Target equals qemu's restore of the disk byte for byte, and has exactly the virtual size. */
    private static void assertRestored(int n, int disk, Path target) throws IOException {
        Path oracle = images.oracle(n, disk);
        assertEquals(SIZES[disk], Files.size(oracle), "oracle size");
        assertEquals(SIZES[disk], Files.size(target), () -> target + " must be sized to the virtual size");
        assertEquals(-1, Files.mismatch(oracle, target),
                () -> "disk " + disk + " of a " + n + "-checkpoint chain differs from qemu at byte "
                        + mismatch(oracle, target));
    }

    private static long mismatch(Path a, Path b) {
        try {
            return Files.mismatch(a, b);
        } catch (IOException e) {
            return -2;
        }
    }

    /**
     * Both disks of bk-4 equal qemu's restore, and the JSON summary lists them in PVC order with
     * the oracle's digests; returns the summary's disks for the caller's own checks.
     */
    private JsonNode assertBk4RestoredAndReported(Cli r) throws IOException {
        assertRestored(4, 0, t0);
        assertRestored(4, 1, t1);
        JsonNode disks = JSON.readTree(r.out()).path("disks");
        assertEquals(2, disks.size(), r::describe);
        for (int d = 0; d < 2; d++) {
            assertEquals(PVCS[d], disks.get(d).path("pvc").asText());
            assertEquals(oracleDigest(4, d), disks.get(d).path("digest").asText());
        }
        return disks;
    }

    private static String oracleDigest(int n, int disk) throws IOException {
        return "xxh64-64k:" + DiskDigest.of(images.oracle(n, disk), SIZES[disk]);
    }

    // ---- restores ----

    @Test
    void cp004ChangesBothDisksSoALeakIntoBk3WouldShow() throws IOException {
        for (int disk = 0; disk < 2; disk++) {
            assertTrue(Files.mismatch(images.oracle(3, disk), images.oracle(4, disk)) >= 0,
                    "setup: cp-004 must change disk " + disk);
        }
    }

    @Test
    void bk3IntoNewAndGarbageTargetsEqualsQemuAndJsonReportsOracleDigests() throws IOException {
        garbage(t1, DISK1_SIZE + (1 << 20), 5);

        Cli r = restoreVm("bk-3", "--json").assertOk();

        assertRestored(3, 0, t0);
        assertRestored(3, 1, t1);
        JsonNode s = JSON.readTree(r.out());
        assertEquals("ok", s.path("status").asText());
        assertEquals(NS, s.path("namespace").asText());
        assertEquals(VM, s.path("vm").asText());
        assertEquals("bk-3", s.path("backup").asText());
        assertEquals(DISK0_SIZE + DISK1_SIZE, s.path("virtual-size").asLong());
        JsonNode disks = s.path("disks");
        assertEquals(2, disks.size(), r::describe);
        String[] kinds = {"new-file", "existing-file"};
        Path[] targets = {t0, t1};
        long written = 0;
        for (int d = 0; d < 2; d++) {
            JsonNode o = disks.get(d);
            assertEquals(PVCS[d], o.path("pvc").asText(), "disks in the full checkpoint's PVC order");
            assertEquals(targets[d].toString(), o.path("target").asText());
            assertEquals(kinds[d], o.path("target-kind").asText());
            assertFalse(o.path("direct-io").asBoolean(true), "page-cache writes without --direct");
            assertEquals(SIZES[d], o.path("virtual-size").asLong());
            assertEquals(oracleDigest(3, d), o.path("digest").asText(), "PVC " + PVCS[d]);
            assertFalse(o.has("verified"), "not verified without --verify");
            written += o.path("bytes-written").asLong();
        }
        // the garbage target must be overwritten everywhere, zeros included
        assertEquals(DISK1_SIZE, disks.get(1).path("bytes-written").asLong());
        assertEquals(written, s.path("bytes-written").asLong());
    }

    @Test
    void bk4WithVerifyIntoGarbageAndNewTargetsEqualsQemu() throws IOException {
        garbage(t0, DISK0_SIZE - 4096, 6); // shorter than the disk: must be grown

        Cli r = restoreVm("bk-4", "--json", "--verify").assertOk();

        JsonNode disks = assertBk4RestoredAndReported(r);
        for (int d = 0; d < 2; d++) {
            assertTrue(disks.get(d).path("verified").asBoolean(), r::describe);
        }
        assertEquals("existing-file", disks.get(0).path("target-kind").asText());
        assertEquals("new-file", disks.get(1).path("target-kind").asText());
    }

    @Test
    void bk4WithDirectIoEqualsQemuAndSaysSo() throws IOException {
        garbage(t1, DISK1_SIZE + 3 * 4096 + 512, 7); // longer than the disk, an unaligned end

        Cli r = restoreVm("bk-4", "--json", "--direct").assertOk();

        JsonNode disks = assertBk4RestoredAndReported(r);
        for (int d = 0; d < 2; d++) {
            assertTrue(disks.get(d).path("direct-io").asBoolean(false), r::describe);
        }
        Cli text = restoreVm("bk-4", "--direct").assertOk();
        assertTrue(text.out().contains(t0 + " (O_DIRECT):"), text::describe);
    }

    @Test
    void bk3OverAnEarlierBk4RestoreRemovesEveryCp004Region() throws IOException {
        restoreVm("bk-4").assertOk();
        assertRestored(4, 0, t0);

        restoreVm("bk-3").assertOk();

        assertRestored(3, 0, t0);
        assertRestored(3, 1, t1);
    }

    @Test
    void textSummaryWithVerifyNamesEveryDiskAndItsDigest() throws IOException {
        garbage(t1, DISK1_SIZE, 7);

        Cli r = restoreVm("bk-4", "--verify").assertOk();

        assertRestored(4, 0, t0);
        assertRestored(4, 1, t1);
        assertTrue(r.out().startsWith("restored VM " + NS + "/" + VM + " from backup bk-4: 2 disk(s)"), r::describe);
        Path[] targets = {t0, t1};
        for (int d = 0; d < 2; d++) {
            String line = lineContaining(r.out(), "PVC " + PVCS[d] + " -> " + targets[d] + ":");
            assertTrue(line.endsWith("digest " + oracleDigest(4, d) + " (verified)"), line);
        }
    }

    @Test
    void jsonProgressCoversBothDisks() throws IOException {
        Cli r = restoreVm("bk-3", "--progress", "json").assertOk();

        long total = DISK0_SIZE + DISK1_SIZE;
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.err().split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        // one start, progress events, exactly one done, in that order
        assertTrue(events.size() >= 3, r::describe);
        JsonNode start = events.get(0);
        assertEquals("start", start.path("event").asText(), start::toString);
        assertEquals(NS + "/" + VM, start.path("vm").asText());
        assertEquals(total, start.path("virtual-size").asLong());
        assertEquals(2, start.path("disks").size(), start::toString);
        assertEquals(PVC0, start.path("disks").get(0).path("pvc").asText());
        assertTrue(start.path("disks").get(0).path("workers").asInt() >= 1, start::toString);
        JsonNode done = events.get(events.size() - 1);
        assertEquals("done", done.path("event").asText(), done::toString);
        assertEquals(total, done.path("virtual-size").asLong());
        assertEquals(2, done.path("disks").size(), done::toString);
        assertTrue(done.path("disks").get(0).path("digest").asText().startsWith("xxh64-64k:"), done::toString);
        long last = -1;
        for (JsonNode e : events.subList(1, events.size() - 1)) {
            assertEquals("progress", e.path("event").asText(), e::toString);
            assertEquals(total, e.path("total").asLong(), "total is the whole VM: " + e);
            assertTrue(e.path("done").asLong() >= last, "progress went backwards: " + e);
            assertTrue(e.has("seconds"), e::toString);
            last = e.path("done").asLong();
        }
        assertEquals(total, last, "the last progress event must report the whole VM done");
    }

    @Test
    void badCompressedDataInTheSecondDiskStopsWithExit4AfterTheFirstDiskIsComplete() throws IOException {
        // passes every check made before writing (the descriptor points inside the file); only
        // inflating it while streaming can tell
        Path img = fx.image(3, 1);
        long guest = 12 << 20;
        QemuIo.on(img).writeCompressed(guest, 64 << 10, 0x33).run();
        try (ImagePoker p = ImagePoker.open(img)) {
            long entry = p.l2Entry(0, (int) (guest >> p.clusterBits()));
            assertTrue((entry & Layout.L2_COMPRESSED) != 0, "setup: cluster at 12 MiB must be compressed");
            byte[] ff = new byte[64];
            Arrays.fill(ff, (byte) 0xff); // deflate block type 3: reserved, refused at once
            p.putBytes(p.descriptor(entry).hostOffset(), ff);
        }

        Cli r = restoreVm("bk-3");

        r.assertError(ExitCode.INCOMPLETE, PVC1, "1 earlier disk(s) restored completely", Long.toString(guest));
        assertRestored(3, 0, t0);
    }

    // ---- dry run ----

    @ParameterizedTest
    @ValueSource(strings = {"bk-3", "bk-4"})
    void dryRunTextWritesNothingAndListsFilesInCheckpointOrder(String backup) throws IOException {
        byte[] before = garbage(t1, DISK1_SIZE + 12345, 8);

        Cli r = restoreVm(backup, "--dry-run").assertOk();

        assertFalse(Files.exists(t0), "dry run created " + t0);
        assertArrayEquals(before, Files.readAllBytes(t1), "dry run modified " + t1);
        int n = checkpoints(backup);
        assertTrue(r.out().startsWith("plan: restore VM " + NS + "/" + VM + " from backup " + backup + " (2 disk(s))"),
                r::describe);
        String[] blocks = r.out().split("\n(?=PVC )");
        assertEquals(3, blocks.length, r::describe);
        long[] toWrite = {images.composedDataBytes(n, 0), DISK1_SIZE};
        String[] kinds = {"new-file", "existing-file"};
        Path[] targets = {t0, t1};
        for (int d = 0; d < 2; d++) {
            List<String> lines = blocks[d + 1].lines().toList();
            assertEquals("PVC " + PVCS[d] + " -> " + targets[d] + " (" + kinds[d] + ")", lines.get(0));
            assertEquals(String.format("  virtual size %,d bytes (PVC size %,d), will write %,d bytes", SIZES[d],
                    SIZES[d], toWrite[d]), lines.get(1));
            List<String> files = lines.subList(2, lines.size()).stream().filter(l -> !l.isBlank()).toList();
            assertEquals(n, files.size(), blocks[d + 1]);
            for (int k = 1; k <= n; k++) {
                String l = files.get(k - 1);
                Path img = fx.image(k, d);
                assertTrue(l.startsWith("  " + k + ". " + VmLayoutFixture.id(k) + " "), l);
                assertTrue(l.contains(" " + img + " "), () -> "expected " + img + " in " + l);
                assertTrue(l.contains(String.format("(%,d bytes on disk, virtual %,d, cluster %d)", Files.size(img),
                        SIZES[d], clusterSize(k, d))), l);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bk-3", "bk-4"})
    void dryRunJsonWritesNothingAndListsFilesInCheckpointOrder(String backup) throws IOException {
        byte[] before = garbage(t0, 777, 9);

        Cli r = restoreVm(backup, "--dry-run", "--json").assertOk();

        assertArrayEquals(before, Files.readAllBytes(t0), "dry run modified " + t0);
        assertFalse(Files.exists(t1), "dry run created " + t1);
        JsonNode plan = JSON.readTree(r.out());
        assertTrue(plan.path("dry-run").asBoolean(), r::describe);
        assertEquals(NS, plan.path("namespace").asText());
        assertEquals(VM, plan.path("vm").asText());
        assertEquals(backup, plan.path("backup").asText());
        int n = checkpoints(backup);
        long[] toWrite = {DISK0_SIZE, images.composedDataBytes(n, 1)};
        String[] kinds = {"existing-file", "new-file"};
        Path[] targets = {t0, t1};
        JsonNode disks = plan.path("disks");
        assertEquals(2, disks.size(), r::describe);
        for (int d = 0; d < 2; d++) {
            JsonNode o = disks.get(d);
            assertEquals(PVCS[d], o.path("pvc").asText());
            assertEquals(SIZES[d], o.path("pvc-size").asLong());
            assertEquals(SIZES[d], o.path("virtual-size").asLong());
            assertEquals(targets[d].toString(), o.path("target").asText());
            assertEquals(kinds[d], o.path("target-kind").asText());
            assertEquals(toWrite[d], o.path("bytes-to-write").asLong(), "PVC " + PVCS[d]);
            JsonNode imgs = o.path("images");
            assertEquals(n, imgs.size());
            for (int k = 1; k <= n; k++) {
                JsonNode i = imgs.get(k - 1);
                Path img = fx.image(k, d);
                assertEquals(VmLayoutFixture.id(k), i.path("checkpoint").asText());
                assertEquals(img.toString(), i.path("file").asText(), "cp-002 lists its files in reverse PVC order");
                assertEquals(Files.size(img), i.path("file-size").asLong());
                assertEquals(SIZES[d], i.path("virtual-size").asLong());
                assertEquals(clusterSize(k, d), i.path("cluster-size").asLong());
            }
        }
    }

    @Test
    void dryRunWithTargetIsZeroPlansOnlyTheDataForAnExistingTarget() throws IOException {
        byte[] before = garbage(t1, 100, 10);

        Cli r = restoreVm("bk-3", "--dry-run", "--json", "--target-is-zero").assertOk();

        assertArrayEquals(before, Files.readAllBytes(t1));
        JsonNode disks = JSON.readTree(r.out()).path("disks");
        assertEquals(images.composedDataBytes(3, 1), disks.get(1).path("bytes-to-write").asLong());
    }

    /** The layout's cluster sizes: cp-001 of disk 1 has 4 KiB clusters, every other image 64 KiB. */
    private static long clusterSize(int k, int disk) {
        return k == 1 && disk == 1 ? 4096 : 65536;
    }

    private static String lineContaining(String text, String fragment) {
        return text.lines().filter(l -> l.contains(fragment)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with \"" + fragment + "\" in:\n" + text));
    }
}
