package io.qcow2j.cli;

import io.qcow2j.core.CorruptDataException;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.restore.RestoreIncompleteException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code qcow2-restore} command line: argument parsing and printing over the library. Exit
 * codes (DESIGN §5): 0 success, 2 usage, 3 invalid image or chain (target untouched), 4 I/O or data
 * error while writing (target incomplete); {@code check} uses qemu-img's codes.
 */
@Command(name = "qcow2-restore", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Restore KubeVirt incremental qcow2 backups onto a raw disk, without qemu-img.")
public final class Main {
    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int INVALID = 3;
    public static final int IO = 4;

    /**
     * The subcommands by name, in help order. picocli builds a command's model by reflection when it
     * is added, the first one paying for picocli's own start: a run names its subcommand first, so
     * only that one is built (building the others would slow every restore's start).
     * Names must match each class's {@code @Command(name)} (MainTest checks).
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("info", InfoCommand.class);
        m.put("map", MapCommand.class);
        m.put("restore", RestoreCommand.class);
        m.put("restore-vm", RestoreVmCommand.class);
        m.put("check", CheckCommand.class);
        m.put("help", CommandLine.HelpCommand.class);
        return Collections.unmodifiableMap(m);
    }

    public static void main(String[] args) {
        NativePreload.start();
        System.exit(run(args));
    }

    /** Runs the CLI with {@code args} on the process's stdout/stderr and returns the exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams (tests). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cl = new CommandLine(new Main());
        Class<?> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (named != null && named != CommandLine.HelpCommand.class) {
            cl.addSubcommand(args[0], named);
        } else { // usage, help and errors list every subcommand
            SUBCOMMANDS.forEach(cl::addSubcommand);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("error: " + ex.getMessage());
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println("Try '" + command + " --help'.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (debug) {
                ex.printStackTrace(err);
            }
            err.println("error: " + message(ex));
            err.flush();
            return exitCode(ex);
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    static String message(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        if (t instanceof Qcow2Exception) {
            return t.getMessage();
        }
        if (t instanceof IOException) {
            return t.getClass().getSimpleName().replace("Exception", "") + ": " + t.getMessage();
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (raise -Xmx via JAVA_OPTS)";
        }
        return "internal error: " + t + " (run with --debug for details)";
    }

    static int exitCode(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        if (t instanceof RestoreIncompleteException || t instanceof CorruptDataException) {
            return IO;
        }
        if (t instanceof Qcow2Exception) {
            return INVALID;
        }
        if (t instanceof IOException) {
            return IO;
        }
        return 1;
    }

    /** The version and the git commit from the jar's manifest (BuildInfo), or "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.versionLine()};
        }
    }
}
