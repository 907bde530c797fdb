package io.qcow2j.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real server for tests run as a child process (Azurite, the Cloud Storage emulator): skipped
 * visibly when not installed, started and awaited until it says where it listens, stopped with its
 * data directory.
 */
public final class ServerProcess {
    private ServerProcess() {
    }

    /** A started server: its process, and the output line's match saying where it listens. */
    public record Started(Process process, Matcher listening) {
    }

    /**
     * Skips the test saying {@code why} on stderr too, or fails it when {@code QCOW2J_REQUIRE_EMULATORS=1}
     * (as {@code .ci/run} sets it), with {@code detail} added.
     */
    public static void notInstalled(String why, String detail) {
        if ("1".equals(System.getenv("QCOW2J_REQUIRE_EMULATORS"))) {
            throw new IllegalStateException(why + (detail == null ? "" : "; " + detail));
        }
        System.err.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    /**
     * Starts {@code pb} (its error stream merged) and reads its output until a line matches
     * {@code listening}; the rest of the output is drained by a daemon thread.
     *
     * @throws IOException naming {@code name} and what it printed when it ends first
     */
    public static Started start(ProcessBuilder pb, Pattern listening, String name) throws IOException {
        Process process = pb.redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = listening.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        out.lines().forEach(l -> { });
                    } catch (UncheckedIOException closed) {
                        // the server was stopped and its output closed: nothing left to drain
                    }
                }, name + "-output");
                drain.setDaemon(true);
                drain.start();
                return new Started(process, m);
            }
        }
        process.destroyForcibly();
        throw new IOException(name + " did not start: " + seen);
    }

    /** Stops {@code process} (forcibly after 5 s) and deletes {@code dir}, best effort. */
    public static void stop(Process process, Path dir) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: best effort
        }
    }
}
