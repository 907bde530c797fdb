package io.qcow2j.cli;

import static io.qcow2j.cli.CliRun.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check [--json] IMAGE}: qemu-img check's exit codes, text and JSON keys, without qemu. */
class CheckCommandTest {
    @TempDir
    Path dir;

    static CliRun check(String... args) {
        List<String> argv = new ArrayList<>(List.of("check"));
        argv.addAll(List.of(args));
        return cli(argv);
    }

    private Path copy(String name) throws IOException {
        Path img = dir.resolve(name + ".qcow2");
        Files.copy(TestData.image(name), img);
        return img;
    }

    /** v2-c65536 with its one uncompressed data cluster's L2 entry cleared: one leaked cluster. */
    private Path leaky() throws IOException {
        Path img = copy("v2-c65536");
        try (ImagePoker p = ImagePoker.open(img)) {
            for (int i = 0; ; i++) {
                long e = p.l2Entry(0, i);
                if ((e & Layout.L2_OFFSET_MASK) != 0 && (e & Layout.L2_COMPRESSED) == 0) {
                    p.setL2Entry(0, i, 0);
                    return img;
                }
            }
        }
    }

    /** v3-c4096 with the L1 table's refcount set to 0: one corruption. */
    private Path corrupt() throws IOException {
        Path img = copy("v3-c4096");
        try (ImagePoker p = ImagePoker.open(img)) {
            p.setRefcount(p.l1TableOffset() >>> p.clusterBits(), 0);
        }
        return img;
    }

    @Test
    void cleanImage() {
        Path img = TestData.image("v3-c4096");
        CliRun r = check(img.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("No errors were found on the image.\n"
                + "8/4097 = 0.20% allocated, 37.50% fragmented, 37.50% compressed clusters\n"
                + "Image end offset: 53248\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void leaksOnlyExitThree() throws IOException {
        Path img = leaky();
        CliRun r = check(img.toString());
        assertEquals(3, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("leak: cluster at offset "), r.out());
        assertTrue(r.out().contains("\n\n1 leaked clusters were found on the image.\n"
                + "This means waste of disk space, but no harm to data.\n"), r.out());
        assertFalse(r.out().contains("errors were found"), r.out());
    }

    @Test
    void corruptionExitsTwo() throws IOException {
        Path img = corrupt();
        CliRun r = check(img.toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("corruption: cluster at offset "), r.out());
        assertTrue(r.out().contains("\n\n1 errors were found on the image.\n"
                + "Data may be corrupted, or further writes to the image may corrupt it.\n"), r.out());
    }

    @Test
    void checkErrorsExitOneWithTheResultAndAnErrorLine() throws IOException {
        // a refcount block offset that is not cluster aligned (impossible with 512-byte clusters)
        Path img = copy("v2-c4096");
        try (ImagePoker p = ImagePoker.open(img)) {
            p.putLong(p.refcountTableOffset(), p.getLong(p.refcountTableOffset()) + 512);
        }
        CliRun r = check("--json", img.toString());
        assertEquals(1, r.exit());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertTrue(n.get("check-errors").asLong() > 0, r.out());
        assertTrue(r.err().startsWith("error: " + img + ": check failed: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void couldNotCheckIsOneErrorLineNamingTheFileAndExitOne() throws IOException {
        Path missing = dir.resolve("nope.qcow2");
        CliRun r = check(missing.toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: could not check " + missing), r.err());

        Path img = copy("v3-c512");
        try (ImagePoker p = ImagePoker.open(img)) {
            p.putInt(Layout.HDR_MAGIC, 0);
        }
        r = check("--json", img.toString());
        assertEquals(1, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: could not check " + img + ": header"), r.err());
        assertTrue(r.err().contains("not a qcow2 image"), r.err());
        // with --json the failure is also one JSON object on stdout (docs/cli-contract.md)
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals(1, j.path("exit").asInt(), r.out());
        assertEquals("invalid-image", j.path("error").path("kind").asText(), r.out());
        assertEquals(img.toString(), j.path("error").path("resource").asText(), r.out());
        assertEquals("header", j.path("error").path("structure").asText(), r.out());
        assertEquals(0, j.path("error").path("offset").asLong(), r.out());
        assertEquals(r.err().strip(), "error: " + j.path("error").path("message").asText());
    }

    /** A usage error of check is qemu-img check's "could not check", exit 1, not the usage exit 2. */
    @Test
    void usageErrorsOfCheckExitOne() throws IOException {
        CliRun r = check("--bogus", "x.qcow2");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        r = check();
        assertEquals(1, r.exit(), r.err());
    }

    @Test
    void percentagesRoundLikeCsPrintf() {
        assertEquals("3.12", CheckCommand.percent(2, 64)); // an exact tie goes to even, as in glibc
        assertEquals("0.62", CheckCommand.percent(5, 800));
        assertEquals("14.29", CheckCommand.percent(1, 7));
        assertEquals("66.67", CheckCommand.percent(2, 3));
        assertEquals("0.20", CheckCommand.percent(8, 4097));
        assertEquals("100.00", CheckCommand.percent(5, 5));
        assertEquals("0.00", CheckCommand.percent(0, 5));
    }

    @Test
    void jsonHasQemusKeysInQemusOrderPlusOurFindings() throws IOException {
        Path img = corrupt();
        CliRun r = check("--json", img.toString());
        assertEquals(2, r.exit());
        JsonNode n = new ObjectMapper().readTree(r.out());
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("image-end-offset", "compressed-clusters", "total-clusters", "corruptions",
                "check-errors", "allocated-clusters", "filename", "format", "fragmented-clusters", "qcow2j"), keys);
        assertEquals(1, n.get("corruptions").asLong());
        assertEquals(0, n.get("check-errors").asLong());
        assertEquals(img.toString(), n.get("filename").asText());
        assertEquals("qcow2", n.get("format").asText());
        JsonNode problem = n.get("qcow2j").get("problems").get(0);
        assertEquals("corruption", problem.get("severity").asText());
        assertEquals("cluster", problem.get("structure").asText());
        assertTrue(problem.get("offset").isNumber());
        assertEquals(0, n.get("qcow2j").get("problems-omitted").asLong());
        assertEquals("", r.err());
    }
}
