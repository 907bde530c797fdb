package io.qcow2j.cli.pod;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliJvm;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore pod's constraints, each made real in a JVM of its own: many CPUs with little direct
 * memory, too little memory for even one worker, and JNA that cannot load (no place to unpack its
 * native part). Issue 26: the restore must size itself or refuse before writing, and never fall
 * back silently.
 */
@RequiresQemu
class PodSafetyTest {
    private static final long M = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** JNA may neither unpack its native part nor take one from the system: libc is unreachable. */
    private static final List<String> NO_JNA = List.of("-Djna.nounpack=true", "-Djna.nosys=true",
            "-Djna.boot.library.path=/nonexistent");

    @TempDir
    static Path shared;
    private static Path image;
    private static String imageSha;

    @TempDir
    Path dir;

    /** 112 MiB of data in a 128 MiB disk: 28 blocks, enough to put every worker to work at once. */
    @BeforeAll
    static void image() throws IOException {
        image = shared.resolve("data.qcow2");
        QemuImg.create(image, 128 * M, "");
        QemuIo.on(image).write(0, 56 * M, 0x5a).write(64 * M, 56 * M, 0xa5).run();
        Path raw = shared.resolve("oracle.raw");
        QemuImg.convertToRaw(image, raw);
        imageSha = Sha256.of(raw);
        Files.delete(raw);
    }

    private Shell.Result restore(List<String> jvm, String... extra) throws IOException {
        return restore(jvm, dir.resolve("disk.raw"), extra);
    }

    private static Shell.Result restore(List<String> jvm, Path target, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("restore", "--json", "--progress=none", "--output",
                target.toString()));
        args.addAll(List.of(extra));
        args.add(image.toString());
        return CliJvm.run(jvm, args.toArray(String[]::new));
    }

    /**
     * 96 CPUs and 48 MiB of direct memory: a worker per CPU would need 384 MiB of block buffers and
     * died half-way with "Cannot reserve ... direct buffer memory"; the workers now fit the memory.
     */
    @Test
    void manyCpusAndLittleDirectMemoryFitTheWorkersToTheMemory() throws IOException {
        Shell.Result r = restore(List.of("-Xmx256m", "-XX:ActiveProcessorCount=96", "-XX:MaxDirectMemorySize=48m"));
        assertEquals(0, r.code(), r.err());
        JsonNode s = JSON.readTree(r.out());
        int workers = s.path("workers").asInt();
        assertTrue(workers >= 1 && workers <= 10, "workers sized from 48 MiB: " + workers);
        assertEquals(imageSha, Sha256.of(dir.resolve("disk.raw")));
    }

    /** The launcher's default heap with 96 CPUs: the default stops at 16 workers. */
    @Test
    void manyCpusGetAtMostSixteenWorkersByDefault() throws IOException {
        Shell.Result r = restore(List.of("-XX:MaxRAMPercentage=50", "-XX:ActiveProcessorCount=96"));
        assertEquals(0, r.code(), r.err());
        assertEquals(16, JSON.readTree(r.out()).path("workers").asInt(), r.out());
        assertEquals(imageSha, Sha256.of(dir.resolve("disk.raw")));
    }

    @Test
    void tooLittleMemoryForOneWorkerRefusesBeforeWriting() throws IOException {
        Shell.Result r = restore(List.of("-Xmx64m", "-XX:MaxDirectMemorySize=6m"));
        assertEquals(3, r.code(), r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains("not enough memory") && errors.get(0).contains("MiB"), errors.get(0));
        assertEquals("insufficient-memory", JSON.readTree(r.out()).path("error").path("kind").asText(), r.out());
        assertFalse(Files.exists(dir.resolve("disk.raw")), "refused before the target was created");
    }

    /**
     * libc unreachable and an existing target: the zero ranges are written as zeros, said once on
     * stderr and in the summary, and the disk is still right.
     */
    @Test
    void withoutJnaAnExistingTargetGetsOneWarningAndTheCostInTheSummary() throws IOException {
        Path target = garbage(dir.resolve("existing.raw"), 130 * M);
        Shell.Result r = restore(NO_JNA, target);
        assertEquals(0, r.code(), r.err());
        List<String> warnings = r.err().lines().filter(l -> l.startsWith("warning: ")).toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(warnings.get(0).contains("JNA") && warnings.get(0).contains("written as zeros"), warnings.get(0));
        JsonNode s = JSON.readTree(r.out());
        assertFalse(s.path("zero-offload").asBoolean(true), r.out());
        assertFalse(s.path("page-cache-release").asBoolean(true), r.out());
        assertEquals(16 * M, s.path("zero-bytes-written").asLong(), "the two zero ranges, written: " + r.out());
        assertEquals(warnings.get(0), "warning: " + s.path("warnings").get(0).asText());
        assertEquals(imageSha, Sha256.of(target));
        assertEquals(128 * M, Files.size(target));
    }

    @Test
    void withJnaTheSameRestoreOffloadsTheZeros() throws IOException {
        Path target = garbage(dir.resolve("existing.raw"), 130 * M);
        Shell.Result r = restore(List.of(), target);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("warning: ")), r.err());
        JsonNode s = JSON.readTree(r.out());
        assertTrue(s.path("zero-offload").asBoolean(false), r.out());
        assertEquals(0, s.path("zero-bytes-written").asLong(), r.out());
        assertEquals(imageSha, Sha256.of(target));
    }

    @Test
    void requireNativeRefusesBeforeWritingWhenJnaIsMissing() throws IOException {
        Path target = garbage(dir.resolve("existing.raw"), 130 * M);
        byte[] before = Files.readAllBytes(target);
        List<String> jvm = new ArrayList<>(NO_JNA);
        Shell.Result r = restore(jvm, target, "--require-native");
        assertEquals(3, r.code(), r.err());
        assertEquals("native-unavailable", JSON.readTree(r.out()).path("error").path("kind").asText(), r.out());
        assertArrayEquals(before, Files.readAllBytes(target), "the target was touched");
        // a new file needs libc only for the page-cache release: refused as well, and not created
        Path fresh = dir.resolve("fresh.raw");
        r = restore(jvm, fresh, "--require-native");
        assertEquals(3, r.code(), r.err());
        assertFalse(Files.exists(fresh));
    }

    /**
     * A temp directory that does not exist yet: zstd-jni cannot unpack into it, but JNA creates it
     * when it unpacks its own library, so a zstd image may then inflate after all. Either outcome
     * is fine (restored right, or refused before the target exists); a failure half-way is not.
     */
    @Test
    void aTempDirectoryCreatedMidwayNeverFailsAZstdRestoreHalfWay() throws IOException {
        Path zstd = TestData.image("compressed-zstd");
        for (int i = 0; i < 3; i++) {
            Path tmp = dir.resolve("tmp" + i);
            Path target = dir.resolve("zstd" + i + ".raw");
            Shell.Result r = CliJvm.run(List.of("-Djava.io.tmpdir=" + tmp, "-Djava.library.path=" + tmp),
                    "restore", "--progress=none", "--output", target.toString(), zstd.toString());
            if (r.code() == 0) {
                assertEquals(TestData.expectedSha256("compressed-zstd"), Sha256.of(target), r.err());
            } else {
                assertEquals(3, r.code(), r.err());
                assertFalse(Files.exists(target), r.err());
                assertTrue(r.err().contains("zstd"), r.err());
            }
        }
    }

    private static Path garbage(Path file, long size) throws IOException {
        byte[] chunk = new byte[(int) M];
        new Random(1).nextBytes(chunk);
        try (var out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += chunk.length) {
                out.write(chunk);
            }
        }
        return file;
    }
}
