package io.qcow2j.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A directory for one benchmark's generated images. With {@code QCOW2J_BENCH_DIR} set (an
 * environment variable, so JMH's forked JVMs see it too) fixtures are kept there and reused across
 * runs when their marker file matches the spec; otherwise they go to a temporary directory that is
 * deleted at tear-down.
 */
final class FixtureDir implements Closeable {
    static final String ENV = "QCOW2J_BENCH_DIR";
    private static final String MARKER = ".complete";

    private final Path path;
    private final boolean keep;

    private FixtureDir(Path path, boolean keep) {
        this.path = path;
        this.keep = keep;
    }

    /** The directory for fixture {@code name}. */
    static FixtureDir open(String name) throws IOException {
        String root = System.getenv(ENV);
        if (root != null && !root.isBlank()) {
            Path p = Path.of(root).resolve(name);
            Files.createDirectories(p);
            return new FixtureDir(p, true);
        }
        return new FixtureDir(Files.createTempDirectory("qcow2j-bench-" + name + "-"), false);
    }

    Path path() {
        return path;
    }

    /** True when a previous run left complete fixtures built from the same {@code signature}. */
    boolean isComplete(String signature) throws IOException {
        Path m = path.resolve(MARKER);
        return Files.exists(m) && Files.readString(m).equals(signature);
    }

    /** Empties the directory before (re)generation, so a half-built fixture is never reused. */
    void reset() throws IOException {
        deleteContents(path);
    }

    void markComplete(String signature) throws IOException {
        Files.writeString(path.resolve(MARKER), signature, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        if (!keep) {
            deleteContents(path);
            Files.deleteIfExists(path);
        }
    }

    private static void deleteContents(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
