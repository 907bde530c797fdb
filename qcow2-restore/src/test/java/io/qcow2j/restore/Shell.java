package io.qcow2j.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * System tools the target tests need besides qemu ({@code losetup}, {@code stat}), and the CLI in
 * a JVM of its own.
 */
public final class Shell {
    private Shell() {
    }

    /** What a command did; exit 127 when it could not be started. */
    public record Result(int code, String out, String err) {
    }

    public static Result run(String... cmd) throws IOException {
        Path out = Files.createTempFile("qcow2j-sh", ".out");
        Path err = Files.createTempFile("qcow2j-sh", ".err");
        try {
            Process p;
            try {
                p = new ProcessBuilder(List.of(cmd)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                return new Result(127, "", "cannot run " + cmd[0] + ": " + e.getMessage());
            }
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(124, "", "timed out");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted running " + String.join(" ", cmd), e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Bytes the file system allocated to {@code file} ({@code stat -c '%b %B'}): small for a sparse file. */
    public static long allocatedBytes(Path file) throws IOException {
        Result r = run("stat", "-c", "%b %B", file.toAbsolutePath().toString());
        if (r.code != 0) {
            throw new IOException("stat failed: " + r.err);
        }
        String[] f = r.out.strip().split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
}
