package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore pod with a read-only or noexec temp directory cannot unpack zstd-jni's native library.
 * A zstd image must then fail before its target is touched, with one line naming the image and the
 * way out, not as a write error halfway through the disk; a zlib image needs no native code and
 * still restores. Runs the CLI in a JVM whose temp directory does not exist (the test JVM has
 * already loaded the library, so it cannot show the failure itself).
 */
class NativeLibraryUnavailableTest {

    /** The CLI in a JVM whose temp directory and library path do not exist. */
    private static Shell.Result cli(Path tmp, String... args) throws Exception {
        // no copy of the library on the library path either (zstd-jni looks there first)
        Path missing = tmp.resolve("missing");
        // nor may JNA unpack its own (it would create the missing temp directory for zstd-jni)
        return CliJvm.run(List.of("-Xmx128m", "-Djava.io.tmpdir=" + missing, "-Djava.library.path=" + missing,
                "-Djna.nounpack=true", "-Djna.nosys=true"), args);
    }

    @Test
    void zstdImageFailsBeforeTheTargetIsTouched(@TempDir Path dir) throws Exception {
        Path image = TestData.image("compressed-zstd");
        Path target = dir.resolve("disk.raw");
        Shell.Result r = cli(dir, "restore", "--progress=none", "--output", target.toString(), image.toString());
        assertEquals(3, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("error: " + image + ": header at offset 104: compression type zstd"), line);
        assertTrue(line.contains("Cannot unpack"), "the library's own reason: " + line);
        assertTrue(line.contains("ZstdNativePath"), "the way out: " + line);
        assertFalse(Files.exists(target), "target created");
    }

    @Test
    void existingTargetIsLeftAlone(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("disk.raw");
        byte[] before = new byte[8192];
        java.util.Arrays.fill(before, (byte) 0x5a);
        Files.write(target, before);
        Shell.Result r = cli(dir, "restore", "--progress=none", "--output", target.toString(),
                TestData.image("compressed-zstd").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(target)), "target changed");
    }

    @Test
    void zlibImageStillRestores(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("disk.raw");
        Shell.Result r = cli(dir, "restore", "--progress=none", "--output", target.toString(),
                TestData.image("compressed-zlib").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(TestData.expectedSha256("compressed-zlib"), Sha256.of(target));
    }
}
