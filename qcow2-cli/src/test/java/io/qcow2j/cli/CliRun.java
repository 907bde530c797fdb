package io.qcow2j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * One in-process run of the {@code qcow2-restore} CLI ({@link Main#run(PrintWriter, PrintWriter,
 * String...)}): its exit code and what it printed on stdout and stderr.
 */
public record CliRun(int exit, String out, String err) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs the CLI with {@code args} in this JVM. */
    public static CliRun cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(rc, out.toString(), err.toString());
    }

    /** Runs the CLI with {@code args} in this JVM, with {@code env} as its environment. */
    public static CliRun cli(java.util.Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), env, args);
        return new CliRun(rc, out.toString(), err.toString());
    }

    /** As {@link #cli(String...)}. */
    public static CliRun cli(List<String> args) {
        return cli(args.toArray(String[]::new));
    }

    /** The lines of stderr that start with {@code prefix} ({@code "error: "}, {@code "warning: "}). */
    public List<String> lines(String prefix) {
        return err.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    /** The {@code --progress=json} events on stderr, in order. */
    public List<JsonNode> events() throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String l : err.lines().toList()) {
            if (l.startsWith("{")) {
                events.add(JSON.readTree(l));
            }
        }
        return events;
    }
}
