package io.qcow2j.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The committed images in the repository's {@code testdata/} folder and what qemu said about
 * them ({@code testdata/README.md} describes each one; {@code testdata/generate.sh} makes them).
 *
 * <p>Names are file names without {@code .qcow2}, relative to {@code testdata/}: the top-level
 * images ({@code "v3-c65536"}, {@link #imageNames()}) and the chain links
 * ({@code "chain/full"}, {@code "chain/inc1"}, {@code "chain/inc2"}). A trailing {@code .qcow2}
 * is accepted too.
 *
 * <p>The folder is found by walking up from the working directory (Maven runs tests in the
 * module directory) to the first directory holding {@code testdata/generate.sh}; the system
 * property {@code qcow2j.testdata} overrides that.
 */
public final class TestData {

    /** System property naming the testdata folder explicitly. */
    public static final String PROPERTY = "qcow2j.testdata";

    private static final String SUFFIX = ".qcow2";

    private TestData() {}

    /** The {@code testdata/} folder (absolute). */
    public static Path root() {
        return Root.PATH;
    }

    private static final class Root {
        static final Path PATH = locate();

        private static Path locate() {
            String explicit = System.getProperty(PROPERTY);
            if (explicit != null && !explicit.isBlank()) {
                Path p = Path.of(explicit).toAbsolutePath().normalize();
                if (!Files.isRegularFile(p.resolve("generate.sh"))) {
                    throw new IllegalStateException("-D" + PROPERTY + "=" + explicit + " has no generate.sh");
                }
                return p;
            }
            Path start = Path.of("").toAbsolutePath().normalize();
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("testdata");
                if (Files.isRegularFile(candidate.resolve("generate.sh"))) {
                    return candidate;
                }
            }
            throw new IllegalStateException("no testdata/generate.sh in " + start + " or any parent"
                    + " (run tests from inside the repository, or set -D" + PROPERTY + "=...)");
        }
    }

    /** The image file {@code testdata/NAME.qcow2}; fails if it does not exist. */
    public static Path image(String name) {
        Path p = root().resolve(stem(name) + SUFFIX);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no test image " + p);
        }
        return p;
    }

    /** {@code expected/NAME.sha256}: sha256 (lower-case hex) of the image alone as a raw disk. */
    public static String expectedSha256(String name) {
        return read("expected/" + stem(name) + ".sha256").strip();
    }

    /** {@code expected/NAME.map.json}: {@code qemu-img map --output=json}, as qemu printed it. */
    public static String expectedMapJson(String name) {
        return read("expected/" + stem(name) + ".map.json");
    }

    /**
     * {@code expected/NAME.info.json}: {@code qemu-img info --output=json} without "filename",
     * "full-backing-filename" and "actual-size".
     */
    public static String expectedInfoJson(String name) {
        return read("expected/" + stem(name) + ".info.json");
    }

    /** Every {@code *.qcow2} directly in {@code testdata/} (not the chain), as names, sorted. */
    public static List<String> imageNames() {
        try (Stream<Path> files = Files.list(root())) {
            return files.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(SUFFIX))
                    .map(f -> f.substring(0, f.length() - SUFFIX.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the chain links, oldest first: {@code chain/full}, {@code chain/inc1}, {@code chain/inc2}. */
    public static List<String> chainNames() {
        return List.of("chain/full", "chain/inc1", "chain/inc2");
    }

    /** The chain's files, oldest first (all standalone: no backing file in any header). */
    public static List<Path> chain() {
        return chainNames().stream().map(TestData::image).toList();
    }

    /** {@code expected/chain.sha256}: the correct restore (qemu, link by link). */
    public static String chainSha256() {
        return read("expected/chain.sha256").strip();
    }

    /** {@code expected/chain-flat.sha256}: what the wrong, flat workflow restores. */
    public static String chainFlatSha256() {
        return read("expected/chain-flat.sha256").strip();
    }

    /** {@code expected/chain.size}: virtual size in bytes of the restored disk. */
    public static long chainSize() {
        return Long.parseLong(read("expected/chain.size").strip());
    }

    private static String stem(String name) {
        return name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
    }

    private static String read(String relative) {
        Path p = root().resolve(relative);
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
