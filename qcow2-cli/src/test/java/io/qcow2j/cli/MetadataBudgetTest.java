package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.testing.Qcow2Writer;
import io.qcow2j.restore.Shell;
import io.qcow2j.oadp.VmLayoutFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata that cannot fit in the heap is refused before it is loaded, with exit 3, the resource
 * and the numbers, and nothing written: images whose L1 tables together exceed the heap, and a JSON
 * index whose tree would. Each run is the CLI in a JVM of its own with {@link #HEAP}, the heap the
 * launcher gives a pod limited to 256 MiB.
 */
class MetadataBudgetTest {
    private static final String HEAP = "-Xmx128m";
    private static final long M = 1L << 20;
    private static final long G = 1L << 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** "its 8 images need up to 148.8 MiB (…), 120.3 MiB of the heap is free (maximum 128.0 MiB)". */
    private static final Pattern NUMBERS = Pattern.compile(
            "need (?:up to |about )?([0-9.]+) MiB.*?([0-9.]+) MiB of the heap is free \\(maximum ([0-9.]+) MiB\\)");

    @TempDir
    Path dir;

    /**
     * A 64 GiB disk of 512-byte clusters (a 16 MiB L1 table, within qemu's 32 MiB limit) with a
     * 512-byte cluster every 16 MiB, so every page of the L1 table holds tables: ~17 MB of file,
     * 16 MiB of L1 pages once open. qemu-io makes the same with 4,096 {@code write -P 1 <i*16>M 512}.
     */
    private Path l1Heavy(String name) throws IOException {
        Qcow2Writer w = Qcow2Writer.image(9, false, 64 * G);
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) 1);
        for (long at = 0; at < 64 * G; at += 16 * M) {
            w.data(at, b);
        }
        Path p = dir.resolve(name);
        w.write(p);
        return p;
    }

    private static JsonNode refusal(Shell.Result r) throws IOException {
        assertEquals(3, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), "one error line: " + r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        JsonNode error = JSON.readTree(r.out()).get("error");
        assertEquals("insufficient-memory", error.get("kind").asText(), r.out());
        return error;
    }

    /** The numbers of a refusal: what is needed exceeds what is free, which is at most the maximum. */
    private static void assertNumbers(String message) {
        Matcher m = NUMBERS.matcher(message);
        assertTrue(m.find(), "the numbers: " + message);
        double need = Double.parseDouble(m.group(1));
        double free = Double.parseDouble(m.group(2));
        double max = Double.parseDouble(m.group(3));
        assertTrue(need > free && free <= max && max <= 128, message);
    }

    @Test
    void eightImagesWhoseL1TablesExceedTheHeapAreRefusedBeforeLoadingAny() throws IOException {
        List<String> images = new ArrayList<>();
        Path first = l1Heavy("img-0.qcow2");
        images.add(first.toString());
        for (int i = 1; i < 8; i++) {
            images.add(Files.copy(first, dir.resolve("img-" + i + ".qcow2")).toString());
        }
        Path target = dir.resolve("disk.raw");
        Path existing = dir.resolve("existing.raw");
        byte[] old = new byte[1 << 20];
        Arrays.fill(old, (byte) 0x5a);
        Files.write(existing, old);
        for (Path t : List.of(target, existing)) {
            List<String> args = new ArrayList<>(List.of("restore", "--output", t.toString(), "--json",
                    "--progress=none"));
            args.addAll(images);
            Shell.Result r = CliJvm.run(List.of(HEAP), args.toArray(String[]::new));
            JsonNode error = refusal(r);
            String message = error.get("message").asText();
            assertTrue(images.contains(error.get("resource").asText()), "names an image: " + r.out());
            assertTrue(message.contains("its 8 images need up to"), message);
            assertTrue(message.contains("L1 tables"), message);
            assertNumbers(message);
        }
        assertFalse(Files.exists(target), "the target is not created");
        assertArrayEquals(old, Files.readAllBytes(existing), "an existing target is untouched");
        try (var files = Files.list(dir)) {
            assertEquals(9, files.count(), "nothing but the images and the existing target");
        }
    }

    /**
     * A 33 MB checkpoint index (under the 64 MiB cap) of 160,000 checkpoints: its tree would take
     * ~200 MiB. Refused naming the index, before parsing it, with the numbers.
     */
    @Test
    void aThirtyThreeMegabyteIndexIsRefusedNamingIt() throws IOException {
        VmLayoutFixture fx = new VmLayoutFixture(dir);
        fx.write();
        ArrayNode checkpoints = fx.index.withArray("checkpoints");
        for (int i = 0; i < 160_000; i++) {
            ObjectNode c = checkpoints.addObject();
            c.put("id", String.format("pad-%06d", i));
            c.put("type", "incremental");
            c.put("parent", String.format("pad-%06d", i - 1));
            c.put("timestamp", "2025-01-01T10:00:00Z");
            c.put("vmBackup", "vmb-pad");
            c.putArray("files").add("vmb-pad-disk0.qcow2");
            c.putArray("pvcs").add(VmLayoutFixture.PVC0);
            c.putArray("pvcSizes").add("10Mi");
            c.putArray("referencedBy");
        }
        Files.writeString(fx.indexFile(), fx.index.toString());
        long size = Files.size(fx.indexFile());
        assertTrue(size > 33_000_000 && size < 64 * M, "size " + size);
        Files.createDirectories(fx.targetDir);
        Path t0 = fx.targets.get(VmLayoutFixture.PVC0);
        Path t1 = fx.targets.get(VmLayoutFixture.PVC1);

        Shell.Result r = CliJvm.run(List.of(HEAP), "restore-vm", "--root", fx.root.toString(), "--backup", "bk-3",
                "--namespace", VmLayoutFixture.NS, "--vm", VmLayoutFixture.VM, "--target",
                VmLayoutFixture.PVC0 + "=" + t0, "--target", VmLayoutFixture.PVC1 + "=" + t1, "--json");
        JsonNode error = refusal(r);
        assertEquals(fx.indexFile().toString(), error.get("resource").asText(), r.out());
        String message = error.get("message").asText();
        assertTrue(message.contains(size + " bytes of JSON"), message);
        assertNumbers(message);
        try (var files = Files.list(fx.targetDir)) {
            assertEquals(0, files.count(), "no target created");
        }
    }
}
