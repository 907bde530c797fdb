package io.qcow2j.cli.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliJvm;
import io.qcow2j.cli.CliRun;
import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One in-process run of the {@code qcow2-restore} CLI: exit code, stdout and stderr. */
record Cli(int exitCode, String out, String err, List<String> args) {

    static Cli run(List<String> args) {
        CliRun r = CliRun.cli(args);
        return new Cli(r.exit(), r.out(), r.err(), List.copyOf(args));
    }

    static Cli run(String... args) {
        return run(Arrays.asList(args));
    }

    /** Runs the CLI in a JVM of its own with extra JVM options ({@link Shell#cli}). */
    static Cli runInJvm(List<String> jvmOptions, List<String> args) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        options.addAll(jvmOptions);
        Shell.Result r = CliJvm.run(options, args.toArray(String[]::new));
        return new Cli(r.code(), r.out(), r.err(), List.copyOf(args));
    }

    /** Lines of stderr that start with {@code error:}. */
    List<String> errorLines() {
        List<String> lines = new ArrayList<>();
        for (String l : err.split("\n")) {
            if (l.startsWith("error:")) {
                lines.add(l);
            }
        }
        return lines;
    }

    /** Asserts a successful run (exit 0, no error line). */
    Cli assertOk() {
        assertEquals(0, exitCode, this::describe);
        assertTrue(errorLines().isEmpty(), this::describe);
        return this;
    }

    /**
     * Asserts the CLI's error contract (docs/cli-contract.md): exit {@code code}, exactly one {@code error:}
     * line on stderr containing every fragment, no stack trace anywhere, nothing on stdout.
     *
     * @return the error line
     */
    String assertError(int code, String... fragments) {
        assertEquals(code, exitCode, this::describe);
        List<String> errors = errorLines();
        assertEquals(1, errors.size(), () -> "expected one error: line; " + describe());
        String line = errors.get(0);
        for (String f : fragments) {
            assertTrue(line.contains(f), () -> "error line lacks \"" + f + "\": " + line);
        }
        for (String stream : List.of(out, err)) {
            assertFalse(stream.contains("\tat ") || stream.matches("(?s).*\\n\\s+at [a-z].*"),
                    () -> "stack trace printed: " + describe());
            assertFalse(stream.contains("Exception"), () -> "exception class name printed: " + describe());
        }
        assertEquals("", out, () -> "stdout must stay empty on error: " + describe());
        return line;
    }

    String describe() {
        return "exit " + exitCode + " for " + String.join(" ", args) + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
}
