package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The machine-readable contract of docs/cli-contract.md, field by field: the JSON error object on
 * stdout, the progress event stream, the exit codes, and errors that name their file.
 */
class MachineContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static CliRun cli(String... args) {
        return CliRun.cli(args);
    }

    private static String[] restoreArgs(Path target, String... extra) {
        List<String> a = new ArrayList<>(List.of("restore", "--output", target.toString()));
        a.addAll(List.of(extra));
        TestData.chain().forEach(p -> a.add(p.toString()));
        return a.toArray(String[]::new);
    }

    /** The error object's fields and the one error: line carry the same facts. */
    private static JsonNode assertJsonError(CliRun r, int exit, String kind) throws IOException {
        assertEquals(exit, r.exit(), r.err());
        List<String> errors = r.lines("error: ");
        assertEquals(1, errors.size(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(exit, j.path("exit").asInt(), r.out());
        JsonNode e = j.path("error");
        assertEquals(kind, e.path("kind").asText(), r.out());
        assertEquals(errors.get(0), "error: " + e.path("message").asText());
        for (String field : List.of("resource", "structure", "offset")) {
            assertTrue(e.has(field), "field " + field + ": " + r.out());
        }
        assertFalse(r.out().contains("\tat ") || r.err().contains("\tat "), "stack trace: " + r.err());
        return e;
    }

    @Test
    void jsonFailureOnStdoutNamesTheImageStructureAndOffset() throws IOException {
        Path bad = dir.resolve("bad.qcow2");
        Files.write(bad, new byte[4096]);
        Path target = dir.resolve("t.raw");
        CliRun r = cli("restore", "--json", "--output", target.toString(), bad.toString());
        JsonNode e = assertJsonError(r, ExitCode.INVALID, "invalid-image");
        assertEquals(bad.toString(), e.path("resource").asText());
        assertEquals("header", e.path("structure").asText());
        assertEquals(0, e.path("offset").asLong());
        assertFalse(e.has("guest-offset"), "only incomplete restores have one: " + r.out());
        assertFalse(Files.exists(target));
    }

    @Test
    void anInvalidTargetExitsFiveWithItsOwnKind() throws IOException {
        Path target = Files.createDirectories(dir.resolve("a-directory"));
        CliRun r = cli(restoreArgs(target, "--json"));
        JsonNode e = assertJsonError(r, ExitCode.INVALID_TARGET, "invalid-target");
        assertEquals(target.toString(), e.path("resource").asText());
        assertTrue(e.path("structure").isNull(), r.out());
        assertEquals(-1, e.path("offset").asLong());
    }

    @Test
    void progressJsonIsStartProgressAndOneDone() throws IOException {
        Path target = dir.resolve("t.raw");
        CliRun r = cli(restoreArgs(target, "--progress=json", "--json"));
        assertEquals(0, r.exit(), r.err());
        List<JsonNode> ev = r.events();
        assertTrue(ev.size() >= 3, r.err());
        JsonNode start = ev.get(0);
        assertEquals("start", start.path("event").asText());
        assertEquals(target.toString(), start.path("target").asText());
        assertEquals("new-file", start.path("target-kind").asText());
        assertEquals(TestData.chainSize(), start.path("virtual-size").asLong());
        assertTrue(start.path("workers").asInt() >= 1, start::toString);
        assertEquals(TestData.chain().size(), start.path("images").size());
        assertEquals(TestData.chain().get(0).toString(), start.path("images").get(0).asText());
        JsonNode done = ev.get(ev.size() - 1);
        assertEquals("done", done.path("event").asText());
        assertEquals(TestData.chainSize(), done.path("virtual-size").asLong());
        JsonNode summary = JSON.readTree(r.out());
        assertEquals(summary.path("digest").asText(), done.path("digest").asText());
        assertEquals(summary.path("bytes-written").asLong(), done.path("bytes-written").asLong());
        for (JsonNode p : ev.subList(1, ev.size() - 1)) {
            assertEquals("progress", p.path("event").asText(), p::toString);
            for (String f : List.of("target", "done", "total", "percent", "seconds")) {
                assertTrue(p.has(f), f + " in " + p);
            }
        }
        assertEquals(1, ev.stream().filter(e -> e.path("event").asText().equals("done")).count());
        // the summary's capability fields
        assertTrue(summary.path("workers").asInt() >= 1);
        assertTrue(summary.path("zero-offload").isBoolean() && summary.path("page-cache-release").isBoolean());
        assertEquals(0, summary.path("zero-bytes-written").asLong());
        assertTrue(summary.path("warnings").isArray());
    }

    @Test
    void aFailureBeforeTheStartIsOneErrorEventAndNothingElse() throws IOException {
        Path target = Files.createDirectories(dir.resolve("a-directory"));
        CliRun r = cli(restoreArgs(target, "--progress=json"));
        List<JsonNode> ev = r.events();
        assertEquals(1, ev.size(), r.err());
        JsonNode e = ev.get(0);
        assertEquals("error", e.path("event").asText());
        assertEquals("invalid-target", e.path("kind").asText());
        assertEquals(ExitCode.INVALID_TARGET, e.path("exit").asInt());
        assertEquals(target.toString(), e.path("resource").asText());
        assertEquals(r.lines("error: ").get(0), "error: " + e.path("message").asText());
    }

    @Test
    void workersBelowOneAreAUsageError() {
        for (String n : List.of("0", "-5")) {
            CliRun r = cli(restoreArgs(dir.resolve("t" + n + ".raw"), "--workers", n));
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.lines("error: ").get(0).contains("--workers"), r.err());
            assertFalse(Files.exists(dir.resolve("t" + n + ".raw")));
        }
    }

    @Test
    void aUsageErrorWithJsonPrintsTheErrorObjectToo() throws IOException {
        CliRun r = cli("restore", "--json", "--bogus", "--output", dir.resolve("t.raw").toString(), "x.qcow2");
        JsonNode e = assertJsonError(r, ExitCode.USAGE, "usage");
        assertTrue(e.path("message").asText().contains("--bogus"), r.out());
    }

    @Test
    void aDirectoryGivenAsAnImageIsNamed() throws IOException {
        Path d = Files.createDirectories(dir.resolve("not-an-image"));
        CliRun r = cli("restore", "--json", "--output", dir.resolve("t.raw").toString(), d.toString());
        JsonNode e = assertJsonError(r, ExitCode.INVALID, "unreadable-source");
        assertEquals(d.toString(), e.path("resource").asText());
        assertTrue(e.path("message").asText().contains("is a directory"), r.out());
    }

    /** Opening a FIFO would block until a writer comes: refused by its type, at once. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aFifoGivenAsAnImageIsNamedAndDoesNotHang() throws Exception {
        Path fifo = dir.resolve("a-fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, p.waitFor());
        CliRun r = cli("info", "--json", fifo.toString());
        JsonNode e = assertJsonError(r, ExitCode.INVALID, "unreadable-source");
        assertEquals(fifo.toString(), e.path("resource").asText());
        assertTrue(e.path("message").asText().contains("not a regular file"), r.out());
    }

    @Test
    void aCharacterDeviceGivenAsAnImageIsNamed() throws IOException {
        CliRun r = cli("map", "--json", "/dev/null");
        JsonNode e = assertJsonError(r, ExitCode.INVALID, "unreadable-source");
        assertEquals("/dev/null", e.path("resource").asText());
    }
}
