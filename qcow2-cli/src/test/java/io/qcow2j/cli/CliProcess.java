package io.qcow2j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The CLI running in a child JVM, watched line by line: for what needs a process of its own, a
 * signal sent to it, another process racing it, another user running it. {@link #close()} kills it.
 */
public final class CliProcess implements AutoCloseable {
    private final Process process;
    private final List<String> errLines = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<String> out;
    private final Thread errReader;

    private CliProcess(Process process) {
        this.process = process;
        this.out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        });
        this.errReader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (errLines) {
                        errLines.add(l);
                        errLines.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "cli-stderr");
        errReader.setDaemon(true);
        errReader.start();
    }

    /**
     * Starts {@code java … Main args} with this JVM's class path.
     *
     * @param prefix a command the JVM runs under (e.g. {@code setpriv …}), may be empty
     * @param classPath the class path, null for this JVM's
     * @param env the environment to add (null values remove a variable), may be empty
     */
    public static CliProcess start(List<String> prefix, String classPath, Map<String, String> env, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                classPath != null ? classPath : System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return new CliProcess(pb.start());
    }

    /** Starts the CLI with this JVM's class path and environment. */
    public static CliProcess start(String... args) throws IOException {
        return start(List.of(), null, Map.of(), args);
    }

    /** Waits until a line of stderr matches; false when the process ended or the time ran out first. */
    public boolean awaitErr(Predicate<String> line, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        synchronized (errLines) {
            while (true) {
                if (errLines.stream().anyMatch(line)) {
                    return true;
                }
                long left = end - System.nanoTime();
                if (left <= 0 || !process.isAlive() && !errReader.isAlive()) {
                    return false;
                }
                errLines.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
        }
    }

    /** Sends {@code signal} (e.g. "TERM", "STOP") to the JVM. */
    public void signal(String signal) throws IOException, InterruptedException {
        kill(signal, process.pid());
    }

    /**
     * Sends {@code signal} to the JVM when the started command runs it as its child (a prefix such as
     * {@code strace} that does not exec it).
     */
    public void signalChild(String signal) throws IOException, InterruptedException {
        kill(signal, process.toHandle().children().findFirst()
                .orElseThrow(() -> new IOException("no child of " + process.pid())).pid());
    }

    private static void kill(String signal, long pid) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** True when the JVM ignores {@code signo} (inherited from a non-interactive shell's background job). */
    public boolean ignores(int signo) throws IOException {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        for (String l : Files.readAllLines(status)) {
            if (l.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(l.substring(7).strip(), 16) >>> (signo - 1) & 1) != 0;
            }
        }
        return false;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the exit (at most {@code seconds}) and returns its status, or -1 if it did not end. */
    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            return -1;
        }
        errReader.join(10_000);
        return process.exitValue();
    }

    /** Everything on stdout; call after {@link #waitFor}. */
    public String out() throws Exception {
        return out.get(10, TimeUnit.SECONDS);
    }

    /** Stderr so far. */
    public String err() {
        synchronized (errLines) {
            return String.join("\n", errLines);
        }
    }

    /** The lines of stderr starting with {@code prefix}. */
    public List<String> lines(String prefix) {
        synchronized (errLines) {
            return errLines.stream().filter(l -> l.startsWith(prefix)).toList();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
