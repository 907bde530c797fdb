package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreCancelledException;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestorePlan;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code restore}: validate a chain, then write the composed disk to a file or block device. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a full backup and its incrementals (oldest first) onto a raw file or block device.",
            "Every image is validated before the target is touched."})
final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "TARGET",
            description = "Raw file (created sparse if missing, overwritten if present) or block device.")
    Path output;
    @Mixin
    RestoreFlags flags;
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = {"qcow2 images, full backup first, newest last:",
        "paths, s3://bucket/key objects (AWS_* environment, shared files, AWS_ENDPOINT_URL), or",
        "az://container/blob blobs (AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with a key or",
        "Entra ID credentials)."})
    List<String> images;

    private final Events events;
    private final Map<String, String> env;
    private long validationNanos;

    RestoreCommand(Events events, Map<String, String> env) {
        this.events = events;
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RestoreOptions opts = flags.toOptions(spec);
        long openStart = System.nanoTime();
        try (ObjectStorage remote = new ObjectStorage(); Chain chain = open(remote, opts)) {
            for (String note : chain.notes()) {
                err.println("note: " + note);
            }
            Progress bar = Progress.create(flags.progress, err, events, output.toString(), remote::addTo);
            Restore restore = Restore.of(chain, output, opts.toBuilder().progress(bar).build());
            RestorePlan plan = restore.prepare();
            validationNanos = System.nanoTime() - openStart;
            for (String w : plan.warnings()) {
                err.println("warning: " + w);
            }
            remote.warnings().forEach(w -> err.println("warning: " + w));
            events.emit(startEvent(plan));
            RestoreResult r;
            try (SignalGuard guard = SignalGuard.install(restore, output, err, events)) {
                try {
                    r = restore.run();
                } catch (Exception | Error e) {
                    guard.handOver(e); // returns only when no signal is being handled
                    throw e;
                }
            } finally {
                bar.finish();
            }
            String verified = null;
            if (flags.verify) {
                verified = DiskDigest.of(output, r.virtualSize());
                if (!verified.equals(r.digest())) {
                    throw new RestoreIncompleteException(output.toString(), -1, "verification failed: target digest "
                            + verified + " differs from the restored stream's " + r.digest(), null);
                }
            }
            ObjectNode done = events.event("done");
            done.put("target", r.target());
            done.put("virtual-size", r.virtualSize());
            done.put("bytes-written", r.bytesWritten());
            done.put("digest", DiskDigest.NAME + ":" + r.digest());
            remote.addTo(done);
            events.emit(done);
            print(out, r, chain, verified, remote);
        }
        return Main.OK;
    }

    /** Local files as before (same-file checks by inode); any s3:// or az:// image makes it a chain of sources. */
    private Chain open(ObjectStorage remote, RestoreOptions opts) throws java.io.IOException {
        if (images.stream().noneMatch(ObjectStorage::isRemote)) {
            return Chain.open(images.stream().map(Path::of).toList(), opts.chainOptions());
        }
        return Chain.of(remote.open(images, spec, env), opts.chainOptions());
    }

    private ObjectNode startEvent(RestorePlan plan) {
        ObjectNode n = events.event("start");
        n.put("target", plan.target());
        n.put("target-kind", plan.targetKind().label());
        n.put("virtual-size", plan.virtualSize());
        n.put("workers", plan.workers());
        ArrayNode imgs = n.putArray("images");
        plan.images().forEach(imgs::add);
        return n;
    }

    private void print(PrintWriter out, RestoreResult r, Chain chain, String verified, ObjectStorage remote) {
        if (flags.json) {
            ObjectNode n = Json.object();
            n.put("status", "ok");
            n.put("target", r.target());
            n.put("target-kind", r.targetKind().label());
            n.put("direct-io", r.directIo());
            n.put("virtual-size", r.virtualSize());
            n.put("bytes-written", r.bytesWritten());
            n.put("zero-bytes-skipped", r.zeroBytesSkipped());
            n.put("data-bytes", r.dataBytes());
            n.put("seconds", r.nanos() / 1e9);
            n.put("validation-seconds", validationNanos / 1e9);
            n.put("mb-per-second", Math.round(r.megabytesPerSecond() * 10) / 10.0);
            n.put("digest", DiskDigest.NAME + ":" + r.digest());
            if (verified != null) {
                n.put("verified", true);
            }
            n.put("workers", r.workers());
            n.put("zero-offload", r.zeroOffload());
            n.put("zero-bytes-written", r.zeroBytesWritten());
            n.put("page-cache-release", r.pageCacheRelease());
            ArrayNode imgs = n.putArray("images");
            chain.images().forEach(i -> imgs.add(i.name()));
            ArrayNode notes = n.putArray("notes");
            r.notes().forEach(notes::add);
            ArrayNode warnings = n.putArray("warnings");
            r.warnings().forEach(warnings::add);
            remote.addTo(n);
            out.println(Json.pretty(n));
        } else {
            out.printf("restored %d images onto %s (%s%s)%n", chain.images().size(), r.target(),
                    r.targetKind().label().replace('-', ' '), r.directIo() ? ", O_DIRECT" : "");
            out.printf("  virtual size   %,d bytes%n", r.virtualSize());
            out.printf("  written        %,d bytes (%,d from data clusters)%n", r.bytesWritten(), r.dataBytes());
            out.printf("  zeros skipped  %,d bytes%n", r.zeroBytesSkipped());
            if (r.zeroBytesWritten() > 0) {
                out.printf("  zeros written  %,d bytes (the kernel could not zero them)%n", r.zeroBytesWritten());
            }
            out.printf("  time           %.3f s (%.1f MB/s), after %.3f s validating the chain%n", r.nanos() / 1e9,
                    r.megabytesPerSecond(), validationNanos / 1e9);
            out.printf("  digest         %s:%s%s%n", DiskDigest.NAME, r.digest(), verified != null ? " (verified)" : "");
            remote.print(out);
        }
    }

    /**
     * SIGTERM or SIGINT during the restore: without this the JVM exits 143/130 silently and the
     * operator cannot tell a half-written target from a finished one. The shutdown hook cancels the
     * restore, waits (bounded) for the workers to stop writing, and prints the one {@code error:}
     * line saying the target is incomplete; the exit status stays the signal's.
     */
    private static final class SignalGuard implements AutoCloseable {
        private static final long WAIT_SECONDS = 10;
        private final Thread hook;
        private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicBoolean signalled =
                new java.util.concurrent.atomic.AtomicBoolean();
        private volatile Throwable failure;

        private SignalGuard(Restore restore, Path target, PrintWriter err, Events events) {
            hook = new Thread(() -> {
                signalled.set(true);
                restore.cancel();
                try {
                    stopped.await(WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                long at = failure instanceof RestoreIncompleteException ri ? ri.guestOffset() : -1;
                RestoreIncompleteException e = new RestoreCancelledException(target.toString(), at,
                        "restore interrupted by a signal", null);
                err.println("error: " + e.getMessage());
                // the process ends with the signal's status, which the JVM does not tell: -1 here
                ErrorReport r = ErrorReport.of(e, Main.USAGE);
                events.error(new ErrorReport(r.kind(), -1, r.message(), r.resource(), r.structure(), r.offset(),
                        r.guestOffset()));
                err.flush();
            }, "qcow2j-signal");
        }

        static SignalGuard install(Restore restore, Path target, PrintWriter err, Events events) {
            SignalGuard g = new SignalGuard(restore, target, err, events);
            Runtime.getRuntime().addShutdownHook(g.hook);
            return g;
        }

        /**
         * Called with the restore's failure. During a signal the hook owns the output and the JVM
         * is halting, so this never returns then; otherwise it returns and the caller rethrows.
         */
        void handOver(Throwable t) {
            failure = t;
            stopped.countDown();
            if (signalled.get()) {
                while (true) { // the VM halts once the hook has printed
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException ignored) {
                        // keep waiting for the halt
                    }
                }
            }
        }

        @Override
        public void close() {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it prints
            }
        }
    }
}
