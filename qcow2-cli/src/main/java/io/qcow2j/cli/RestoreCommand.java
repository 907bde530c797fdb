package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestorePlan;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.TargetState;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.target.TargetKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
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
            description = {"Raw file or block device. A new file is made sparse beside it and renamed into place"
                + " when complete; an existing one is overwritten in place."})
    Path output;
    @Mixin
    RestoreFlags flags;
    @Option(names = "--expect-digest", paramLabel = "DIGEST", description = "Fail (exit 4) unless the restored"
            + " disk has this digest (xxh64-64k:..., as verify-backup --deep prints it).")
    String expectDigest;
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = {"qcow2 images, full backup first, newest last:",
        "paths, s3://bucket/key objects (AWS_* environment, shared files, AWS_ENDPOINT_URL), or",
        "az://container/blob blobs (AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with a key or",
        "Entra ID credentials)."})
    List<String> images;

    private final Events events;
    private final Map<String, String> env;
    private final SignalGuard signals;
    private long validationNanos;

    RestoreCommand(Events events, Map<String, String> env, SignalGuard signals) {
        this.events = events;
        this.env = env;
        this.signals = signals;
    }

    private ExpectedDigest expectedDigest(String text) {
        try {
            return ExpectedDigest.parse("--expect-digest", text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ExpectedDigest expected = expectDigest == null ? null : expectedDigest(expectDigest);
        RestoreOptions opts = flags.toOptions(spec).toBuilder()
                .expectedDigest(expected == null ? null : expected.hex()).build();
        long openStart = System.nanoTime();
        try (SignalGuard.Armed guard = signals.arm(output.toString());
             ObjectStorage remote = new ObjectStorage(); Chain chain = open(remote, opts)) {
            for (String note : chain.notes()) {
                err.println("note: " + PrintableText.escape(note));
            }
            Progress bar = Progress.create(flags.progress, err, events, output.toString(), remote::addTo);
            Restore restore = Restore.of(chain, output, opts.toBuilder().progress(bar).build());
            RestorePlan plan = restore.prepare();
            validationNanos = System.nanoTime() - openStart;
            for (String w : plan.warnings()) {
                err.println("warning: " + PrintableText.escape(w));
            }
            remote.warnings().forEach(w -> err.println("warning: " + PrintableText.escape(w)));
            events.emit(startEvent(plan));
            RestoreResult r;
            guard.writing(plan.targetKind() == TargetKind.NEW_FILE ? TargetState.NOT_CREATED
                    : TargetState.PARTIALLY_WRITTEN);
            try {
                r = restore.run();
            } finally {
                bar.finish();
            }
            guard.done();
            // what the run itself found (leftovers of killed restores it removed), after the chain's notes
            r.notes().stream().filter(n -> !chain.notes().contains(n)).forEach(n -> err.println("note: " + PrintableText.escape(n)));
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
            out.printf("restored %d images onto %s (%s%s)%n", chain.images().size(), PrintableText.escape(r.target()),
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
}
