package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    private static Shell.Result cli(Path tmp, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-Djava.io.tmpdir=" + tmp.resolve("missing"),
                // nor a copy of the library on the library path (zstd-jni looks there first)
                "-Djava.library.path=" + tmp.resolve("missing"), "-cp", System.getProperty("java.class.path"),
                "io.qcow2j.restore.cli.Main"));
        cmd.addAll(List.of(args));
        return Shell.run(cmd.toArray(String[]::new));
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
        assertEquals(TestData.expectedSha256("compressed-zlib"), sha256(target));
    }

    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}
