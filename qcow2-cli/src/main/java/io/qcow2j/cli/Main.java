package io.qcow2j.cli;

import io.qcow2j.core.check.CheckResult;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code qcow2-restore} command line: picks the subcommand, hands it its output streams,
 * environment and signal guard, and turns whatever it throws into one report and an
 * {@link ExitCode}. The commands sit below it and never refer back to it.
 */
@Command(name = "qcow2-restore", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Restore KubeVirt incremental qcow2 backups onto a raw disk, without qemu-img.")
public final class Main {
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
        m.put("datamover-restore", DatamoverRestoreCommand.class);
        m.put("check", CheckCommand.class);
        m.put("verify-backup", VerifyBackupCommand.class);
        m.put("datamover-verify", DatamoverVerifyCommand.class);
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
        return run(out, err, System.getenv(), args);
    }

    /**
     * Runs the CLI with the given output streams and environment (tests): {@code restore} and
     * {@code restore-vm} take the AWS settings of {@code s3://} images from it, and
     * {@code datamover-restore} takes everything from it.
     */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
        List<String> argList = Arrays.asList(args);
        // the downloader drop-in has no flags: its output options come from its environment
        boolean datamover = args.length > 0 && args[0].equals("datamover-restore");
        boolean debug = argList.contains("--debug") || datamover && DatamoverEnvironment.debug(env);
        // datamover-restore: its JSON only when asked, and on one line (the pod log's one record)
        boolean json = argList.contains("--json") || datamover && DatamoverEnvironment.jsonSummary(env);
        Events events = new Events(err, argList.contains("--progress=json")
                || Collections.indexOfSubList(argList, List.of("--progress", "json")) >= 0
                || datamover && DatamoverEnvironment.jsonProgress(env));
        // "could not check" is qemu-img check's exit 1, usage errors included
        int usageExit = args.length > 0 && args[0].equals("check") ? CheckResult.CHECK_FAILED : ExitCode.USAGE;
        AtomicBoolean reported = new AtomicBoolean();
        // one report per run: a signal's report may race the command's own (SignalGuard)
        Consumer<ErrorReport> reporter = r -> {
            if (reported.compareAndSet(false, true)) {
                report(r, json, datamover, events, out, err);
                if (datamover) {
                    TerminationLog.write(env, r.message());
                }
            }
        };
        SignalGuard signals = new SignalGuard(reporter);
        Factory factory = new Factory(events, env, signals);
        CommandLine cl = new CommandLine(new Main(), factory);
        Class<?> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (named != null && named != CommandLine.HelpCommand.class) {
            cl.addSubcommand(args[0], named);
        } else { // usage, help and errors list every subcommand
            SUBCOMMANDS.forEach(cl::addSubcommand);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            ErrorReport r = ErrorReport.of(ex, usageExit);
            reporter.accept(r);
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println("Try '" + command + " --help'.");
            return r.exit();
        });
        // after SIGTERM/SIGINT, whatever the interrupted command threw is the cancellation
        Function<Throwable, Integer> failed = t -> {
            ErrorReport r = signals.signalled() ? signals.report(t) : ErrorReport.of(t, usageExit);
            if (debug) {
                t.printStackTrace(err);
            }
            reporter.accept(r);
            return r.exit();
        };
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> failed.apply(ex));
        int rc;
        try {
            rc = cl.execute(args);
        } catch (Error e) { // picocli hands only Exceptions to the handler above
            rc = failed.apply(e);
        }
        signals.finished();
        out.flush();
        err.flush();
        return rc;
    }

    /** The error line on stderr, the JSON error object with {@code --json}, the final error event. */
    private static void report(ErrorReport r, boolean json, boolean oneLine, Events events, PrintWriter out,
            PrintWriter err) {
        err.println("error: " + r.message());
        err.flush();
        events.error(r);
        if (json) {
            out.println(oneLine ? Json.line(r.toJson()) : Json.pretty(r.toJson()));
            out.flush();
        }
    }

    /** Creates the commands, handing the event stream to those that report progress. */
    private static final class Factory implements CommandLine.IFactory {
        private final Events events;
        private final Map<String, String> env;
        private final SignalGuard signals;

        Factory(Events events, Map<String, String> env, SignalGuard signals) {
            this.events = events;
            this.env = env;
            this.signals = signals;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == RestoreCommand.class) {
                return cls.cast(new RestoreCommand(events, env, signals));
            }
            if (cls == RestoreVmCommand.class) {
                return cls.cast(new RestoreVmCommand(events, env, signals));
            }
            if (cls == VerifyBackupCommand.class) {
                return cls.cast(new VerifyBackupCommand(events, env));
            }
            if (cls == DatamoverVerifyCommand.class) {
                return cls.cast(new DatamoverVerifyCommand(events, env));
            }
            if (cls == DatamoverRestoreCommand.class) {
                return cls.cast(new DatamoverRestoreCommand(events, env, signals));
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    /** The version and the git commit the build recorded (BuildInfo), or "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.versionLine()};
        }
    }
}
