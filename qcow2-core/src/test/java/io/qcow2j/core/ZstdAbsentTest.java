package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.TestData;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * zstd-jni is optional: a JVM whose class path really lacks its jar opens a zlib image and reads
 * its compressed clusters, and refuses a zstd image with {@link NativeLibraryUnavailableException}
 * (at {@link Qcow2Image#requireDecompressor()} and at the first compressed cluster), never a
 * {@link NoClassDefFoundError}.
 */
class ZstdAbsentTest {

    @Test
    void withoutTheJarZstdImagesAreRefusedAndZlibImagesRead() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("zstd-jni"))
                .collect(Collectors.joining(File.pathSeparator));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", classPath, Probe.class.getName(),
                TestData.image("compressed-zstd").toString(), TestData.image("compressed-zlib").toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("zstd refused at requireDecompressor: ") && out.contains("zstd refused at read: ")
                && out.contains("zlib read"), out);
        assertTrue(out.contains("zstd-jni is not on the class path or module path"), out);
    }

    /** Runs in the child JVM, without zstd-jni. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            try {
                Class.forName("com.github.luben.zstd.Zstd");
                throw new AssertionError("zstd-jni is on the class path");
            } catch (ClassNotFoundException expected) {
                // as wanted
            }
            try (Qcow2Image zstd = Qcow2Image.open(Path.of(args[0]))) {
                try {
                    zstd.requireDecompressor();
                    throw new AssertionError("requireDecompressor passed");
                } catch (NativeLibraryUnavailableException e) {
                    System.out.println("zstd refused at requireDecompressor: " + e.getMessage());
                }
                try {
                    readCompressed(zstd);
                    throw new AssertionError("a zstd cluster was read");
                } catch (NativeLibraryUnavailableException e) {
                    System.out.println("zstd refused at read: " + e.getMessage());
                }
            }
            try (Qcow2Image zlib = Qcow2Image.open(Path.of(args[1]))) {
                zlib.requireDecompressor();
                readCompressed(zlib);
                System.out.println("zlib read");
            }
        }

        private static void readCompressed(Qcow2Image image) throws Exception {
            List<Extent> extents = image.extents(0, image.virtualSize());
            Extent c = extents.stream().filter(e -> e.kind() == Extent.Kind.COMPRESSED).findFirst()
                    .orElseThrow(() -> new AssertionError(image.name() + " has no compressed cluster"));
            try (ExtentReader reader = new ExtentReader()) {
                reader.read(image, c, ByteBuffer.allocateDirect((int) c.length()));
            }
        }
    }
}
