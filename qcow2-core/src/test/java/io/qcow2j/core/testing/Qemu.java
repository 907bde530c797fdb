package io.qcow2j.core.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether qemu-img and qemu-io are installed, and the one place tests run them.
 *
 * <p>Tests that need qemu use {@link RequiresQemu} (JUnit 5 and jqwik) so they are reported as
 * skipped, with {@link #unavailableReason()}, on machines without it.
 */
public final class Qemu {

    /** How long one qemu command may run before it is killed. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private static final String REASON = "qemu-img/qemu-io not on PATH (apt-get install qemu-utils)";

    private Qemu() {}

    /** True when both qemu-img and qemu-io are executables on PATH (looked up once). */
    public static boolean available() {
        return Availability.AVAILABLE;
    }

    /** The skip reason shown when {@link #available()} is false. */
    public static String unavailableReason() {
        return REASON;
    }

    private static final class Availability {
        static final boolean AVAILABLE = onPath("qemu-img") && onPath("qemu-io");

        private static boolean onPath(String tool) {
            String path = System.getenv("PATH");
            if (path == null) {
                return false;
            }
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, tool);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What a finished command printed. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {}

    /** A qemu command that exited non-zero, timed out, or printed a failure. */
    public static final class CommandFailedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Result result;

        CommandFailedException(String message, Result result) {
            super(message);
            this.result = result;
        }

        /** The finished command, or null when it timed out. */
        public Result result() {
            return result;
        }
    }

    /** Runs {@code command} with {@link #DEFAULT_TIMEOUT}; returns stdout. */
    public static String run(String... command) throws IOException {
        return run(DEFAULT_TIMEOUT, List.of(command)).stdout();
    }

    /**
     * Runs {@code command} (stdin empty, {@code LC_ALL=C}) and waits at most {@code timeout}.
     *
     * @throws CommandFailedException on a non-zero exit (message: the command and its stderr) or a
     *     timeout (the process and its children are killed)
     */
    public static Result run(Duration timeout, List<String> command) throws IOException {
        List<String> cmd = List.copyOf(command);
        Path out = Files.createTempFile("qemu-", ".out");
        Path err = Files.createTempFile("qemu-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            boolean finished;
            try {
                finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                kill(p);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + String.join(" ", cmd), e);
            }
            if (!finished) {
                kill(p);
                throw new CommandFailedException(
                        "timed out after " + timeout + ": " + String.join(" ", cmd), null);
            }
            Result r = new Result(cmd, p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            if (r.exitCode() != 0) {
                throw new CommandFailedException(
                        "exit " + r.exitCode() + ": " + String.join(" ", cmd)
                                + "\nstderr: " + r.stderr().strip()
                                + (r.stdout().isBlank() ? "" : "\nstdout: " + r.stdout().strip()),
                        r);
            }
            return r;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
