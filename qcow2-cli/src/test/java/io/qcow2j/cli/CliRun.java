package io.qcow2j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * One in-process run of the {@code qcow2-restore} CLI ({@link Main#run(PrintWriter, PrintWriter,
 * String...)}): its exit code and what it printed on stdout and stderr.
 */
public record CliRun(int exit, String out, String err) {

    /** Runs the CLI with {@code args} in this JVM. */
    public static CliRun cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(rc, out.toString(), err.toString());
    }

    /** As {@link #cli(String...)}. */
    public static CliRun cli(List<String> args) {
        return cli(args.toArray(String[]::new));
    }
}
