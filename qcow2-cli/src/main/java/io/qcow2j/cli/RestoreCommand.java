package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestorePlan;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.TargetState;
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
        "Entra ID credentials), or gs://bucket/object objects (GOOGLE_APPLICATION_CREDENTIALS, else application",
        "default credentials; STORAGE_EMULATOR_HOST for an emulator)."})
    List<String> images;

    private final Events events;
    private final Map<String, String> env;
    private final SignalGuard signals;

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
            long validationNanos = System.nanoTime() - openStart;
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
            RestoreReport report = RestoreReport.of(r, plan.images(), validationNanos, flags.verify, "");
            ObjectNode done = report.doneEvent(events);
            remote.addTo(done);
            events.emit(done);
            print(out, report, remote);
        }
        return ExitCode.OK;
    }

    /** Local files as before (same-file checks by inode); any s3://, az:// or gs:// image makes it a chain of sources. */
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

    private void print(PrintWriter out, RestoreReport report, ObjectStorage remote) {
        if (flags.json) {
            ObjectNode n = Json.object();
            n.put("status", "ok");
            report.put(n, "target", "target-kind", "direct-io", "virtual-size", "bytes-written", "zero-bytes-skipped",
                    "data-bytes", "seconds", "validation-seconds", "mb-per-second", "digest", "verified", "workers",
                    "zero-offload", "zero-bytes-written", "page-cache-release", "images", "notes", "warnings");
            remote.addTo(n);
            out.println(Json.pretty(n));
        } else {
            report.print(out);
            remote.print(out);
        }
    }
}
