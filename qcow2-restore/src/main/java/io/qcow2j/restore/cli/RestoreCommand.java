package io.qcow2j.restore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.DiskDigest;
import io.qcow2j.restore.ProgressListener;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
    @Option(names = "--target-is-zero", description = "Promise that an existing target reads as zeros: skip zero ranges.")
    boolean targetIsZero;
    @Option(names = "--verify", description = "Re-read the target after the restore and compare digests.")
    boolean verify;
    @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|json|none",
            description = "Progress on stderr: a bar on a terminal (auto), JSON lines (json), or none.")
    Progress.Mode progress;
    @Option(names = "--json", description = "Print the summary as JSON on stdout.")
    boolean json;
    @Option(names = "--workers", paramLabel = "N", description = "Worker threads (default: number of cores).")
    Integer workers;
    @Option(names = "--force-corrupt", description = "Restore images even if qemu marked them corrupt.")
    boolean forceCorrupt;
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "qcow2 images, full backup first, newest last")
    List<Path> images;

    private long validationNanos;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RestoreOptions opts = RestoreOptions.defaults().withTargetIsZero(targetIsZero)
                .withOpen(OpenOptions.defaults().withAllowCorrupt(forceCorrupt));
        if (workers != null) {
            opts = opts.withWorkers(workers);
        }
        long openStart = System.nanoTime();
        try (Chain chain = Chain.open(images, opts.open())) {
            validationNanos = System.nanoTime() - openStart;
            for (String note : chain.notes()) {
                err.println("note: " + note);
            }
            Progress bar = Progress.create(progress, err, output.toString());
            RestoreResult r;
            try {
                r = new Restore(chain, output, opts.withProgress(bar)).run();
            } finally {
                bar.finish();
            }
            String verified = null;
            if (verify) {
                verified = DiskDigest.of(output, r.virtualSize());
                if (!verified.equals(r.digest())) {
                    throw new RestoreIncompleteException(output.toString(), -1, "verification failed: target digest "
                            + verified + " differs from the restored stream's " + r.digest(), null);
                }
            }
            print(out, r, chain, verified);
        }
        return Main.OK;
    }

    private void print(PrintWriter out, RestoreResult r, Chain chain, String verified) {
        if (json) {
            ObjectNode n = Json.object();
            n.put("status", "ok");
            n.put("target", r.target().toString());
            n.put("target-kind", r.targetKind().name().toLowerCase().replace('_', '-'));
            n.put("virtual-size", r.virtualSize());
            n.put("bytes-written", r.bytesWritten());
            n.put("zero-bytes-skipped", r.zeroBytesSkipped());
            n.put("data-bytes", r.dataBytes());
            n.put("seconds", r.nanos() / 1e9);
            n.put("validation-seconds", validationNanos / 1e9);
            n.put("mb-per-second", Math.round(r.megabytesPerSecond() * 10) / 10.0);
            n.put("digest", "xxh64-4m:" + r.digest());
            if (verified != null) {
                n.put("verified", true);
            }
            ArrayNode imgs = n.putArray("images");
            chain.images().forEach(i -> imgs.add(i.name()));
            ArrayNode notes = n.putArray("notes");
            r.notes().forEach(notes::add);
            out.println(Json.pretty(n));
        } else {
            out.printf("restored %d images onto %s (%s)%n", chain.images().size(), r.target(),
                    r.targetKind().name().toLowerCase().replace('_', ' '));
            out.printf("  virtual size   %,d bytes%n", r.virtualSize());
            out.printf("  written        %,d bytes (%,d from data clusters)%n", r.bytesWritten(), r.dataBytes());
            out.printf("  zeros skipped  %,d bytes%n", r.zeroBytesSkipped());
            out.printf("  time           %.3f s (%.1f MB/s), after %.3f s validating the chain%n", r.nanos() / 1e9,
                    r.megabytesPerSecond(), validationNanos / 1e9);
            out.printf("  digest         xxh64-4m:%s%s%n", r.digest(), verified != null ? " (verified)" : "");
        }
    }
}
