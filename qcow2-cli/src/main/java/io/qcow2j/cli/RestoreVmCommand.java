package io.qcow2j.cli;

import io.qcow2j.azure.AzureSettings;
import io.qcow2j.gcs.GcsSettings;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.oadp.BackupLocation;
import io.qcow2j.oadp.DirectoryBackupLocation;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import io.qcow2j.oadp.VmPlan;
import io.qcow2j.oadp.VmRestore;
import io.qcow2j.oadp.VmRestorePlanner;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.TargetState;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code restore-vm}: restore every disk of a VM from an OADP kubevirt-datamover backup layout,
 * after proving the checkpoint chain of every disk.
 */
@Command(name = "restore-vm", mixinStandardHelpOptions = true,
        description = {"Restore every disk (PVC) of a VM from an OADP kubevirt-datamover backup, in a directory"
            + " (--root) or a bucket (--bucket), in the controller's layout or the design document's.",
            "The manifest's checkpoint chain, the index and every image are validated before any target is touched."})
final class RestoreVmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = "--root", paramLabel = "DIR", description = "Backup location root (has manifests/ and checkpoints/).")
    Path root;
    @Mixin
    S3Flags s3;
    @Option(names = "--container", paramLabel = "CONTAINER", description = "Read the backup location from this"
            + " Azure blob container (AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with a key or Entra ID"
            + " credentials; --prefix applies).")
    String container;
    @Option(names = "--backup", required = true, paramLabel = "NAME", description = "Backup name (manifests/<NAME>/).")
    String backup;
    @Option(names = "--namespace", required = true, paramLabel = "NS", description = "The VM's namespace.")
    String namespace;
    @Option(names = "--vm", required = true, paramLabel = "NAME", description = "The VM's name.")
    String vm;
    @Option(names = "--target", required = true, paramLabel = "PVC=PATH",
            description = "Where each PVC's disk goes (repeat for every PVC): raw file or block device.")
    List<String> targetSpecs = new ArrayList<>();
    @Mixin
    RestoreFlags flags;
    @Option(names = "--expect-digest", paramLabel = "PVC=DIGEST", description = "Fail (exit 4) unless that PVC's"
            + " restored disk has this digest (xxh64-64k:..., as verify-backup --deep prints it); repeatable.")
    List<String> expectSpecs = new ArrayList<>();
    @Option(names = "--dry-run", description = "Validate everything and print the plan; write nothing.")
    boolean dryRun;

    private final Events events;
    private final Map<String, String> env;
    private final SignalGuard signals;
    private Map<String, ExpectedDigest> expected = Map.of();

    RestoreVmCommand(Events events, Map<String, String> env, SignalGuard signals) {
        this.events = events;
        this.env = env;
        this.signals = signals;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RestoreOptions opts = flags.toOptions(spec);
        Map<String, Path> targets = new LinkedHashMap<>();
        for (String t : targetSpecs) {
            int eq = t.indexOf('=');
            if (eq <= 0 || eq == t.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target " + t
                        + ": expected PVC=PATH with both a PVC name and a path");
            }
            String pvc = t.substring(0, eq);
            // a repeated PVC used to keep the last path silently: which disk goes where must not be a guess
            if (targets.putIfAbsent(pvc, Path.of(t.substring(eq + 1))) != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target given twice for PVC " + pvc
                        + " (" + targets.get(pvc) + " and " + t.substring(eq + 1) + ")");
            }
        }
        Map<String, ExpectedDigest> expected = new LinkedHashMap<>();
        for (String t : expectSpecs) {
            int eq = t.indexOf('=');
            try {
                if (eq <= 0 || expected.put(t.substring(0, eq), ExpectedDigest.parse("--expect-digest " + t,
                        t.substring(eq + 1))) != null) {
                    throw new IllegalArgumentException("--expect-digest " + t + ": expected PVC=DIGEST, once per PVC");
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        this.expected = expected;
        if ((root != null ? 1 : 0) + (s3.bucket != null ? 1 : 0) + (container != null ? 1 : 0)
                + (s3.gcsBucket != null ? 1 : 0) != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give the backup location: --root DIR,"
                    + " --bucket BUCKET, --container CONTAINER or --gcs-bucket BUCKET, the last three with"
                    + " [--prefix PREFIX] (one of them)");
        }
        if (root != null && s3.anyConnectionFlag()
                || (container != null || s3.gcsBucket != null) && s3.anyEndpointFlag()) {
            throw new CommandLine.ParameterException(spec.commandLine(), root != null
                    ? "--prefix and the S3 options need --bucket"
                    : "the S3 options need --bucket, not " + (container != null ? "--container" : "--gcs-bucket"));
        }
        String named = String.join(", ", targets.values().stream().map(Path::toString).toList());
        try (SignalGuard.Armed guard = signals.arm(named); ObjectStorage remote = new ObjectStorage()) {
            return restore(out, err, opts, targets, remote, guard);
        }
    }

    /** The {@code --expect-digest} digests by PVC (or disk name), as the library takes them. */
    private Map<String, String> expectedHex() {
        Map<String, String> hex = new LinkedHashMap<>();
        expected.forEach((pvc, d) -> hex.put(pvc, d.hex()));
        return hex;
    }

    private int restore(PrintWriter out, PrintWriter err, RestoreOptions opts, Map<String, Path> targets,
                        ObjectStorage remote, SignalGuard.Armed guard) throws java.io.IOException {
        VmPlan plan;
        try {
            BackupLocation location = root != null ? new DirectoryBackupLocation(root)
                    : container != null ? new ObjectStoreBackupLocation(remote.blobStore(() -> s3.withMaxRequests(spec,
                            ObjectStorage.azureFromEnvironment(spec, env), AzureSettings::withMaxConnections), spec).container(container), s3.prefix)
                    : s3.gcsBucket != null ? new ObjectStoreBackupLocation(remote.gcsStore(() -> s3.withMaxRequests(spec,
                            ObjectStorage.gcsFromEnvironment(spec, env), GcsSettings::withMaxConnections), spec)
                            .bucket(s3.gcsBucket), s3.prefix)
                    : new ObjectStoreBackupLocation(remote.store(() -> s3.settings(spec, env), spec, env).bucket(s3.bucket), s3.prefix);
            plan = VmRestorePlanner.plan(location, backup, namespace, vm, targets);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        for (String pvc : expected.keySet()) {
            if (plan.disk(pvc).isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--expect-digest names PVC " + pvc
                        + ", which is not a disk of VM " + namespace + "/" + vm + " in backup " + backup);
            }
        }
        try (VmRestore restore = VmRestore.prepare(plan, opts)) {
            for (VmRestore.PreparedDisk d : restore.disks()) {
                d.chain().notes().forEach(n -> err.println(PrintableText.escape("note: PVC " + d.plan().pvc() + ": " + n)));
            }
            for (VmRestore.PreparedDisk d : restore.disks()) {
                d.restore().warnings().forEach(w -> err.println(PrintableText.escape("warning: PVC " + d.plan().pvc() + ": "
                        + w)));
            }
            remote.warnings().forEach(w -> err.println("warning: " + PrintableText.escape(w)));
            if (dryRun) {
                printPlan(out, restore, remote);
                return ExitCode.OK;
            }
            events.emit(startEvent(restore));
            Progress bar = Progress.create(flags.progress, err, events, "vm " + namespace + "/" + vm, remote::addTo);
            List<VmRestore.DiskResult> results;
            long start = System.nanoTime();
            // a failure names the disk it stopped at and what its restore left there; earlier ones are complete
            guard.writing(TargetState.PARTIALLY_WRITTEN);
            try {
                results = restore.run(opts.toBuilder().progress(bar).build(), expectedHex());
            } finally {
                bar.finish();
            }
            guard.done();
            long nanos = System.nanoTime() - start;
            Map<String, RestoreReport> reports = new LinkedHashMap<>();
            for (VmRestore.DiskResult r : results) {
                List<String> images = restore.disks().stream().filter(d -> d.plan().pvc().equals(r.pvc()))
                        .findFirst().map(d -> d.restore().images()).orElse(List.of());
                reports.put(r.pvc(), RestoreReport.of(r.result(), images, -1, flags.verify, "PVC " + r.pvc() + ": "));
            }
            ObjectNode done = events.event("done");
            done.put("vm", namespace + "/" + vm);
            done.put("virtual-size", restore.totalSize());
            ArrayNode digests = done.putArray("disks");
            reports.forEach((pvc, r) -> digests.addObject().put("pvc", pvc).put("digest", r.digest()));
            remote.addTo(done);
            events.emit(done);
            printSummary(out, restore, reports, nanos, remote);
        }
        return ExitCode.OK;
    }

    private ObjectNode startEvent(VmRestore restore) {
        ObjectNode n = events.event("start");
        n.put("vm", namespace + "/" + vm);
        n.put("backup", backup);
        n.put("virtual-size", restore.totalSize());
        ArrayNode disks = n.putArray("disks");
        for (VmRestore.PreparedDisk d : restore.disks()) {
            ObjectNode o = disks.addObject();
            o.put("pvc", d.plan().pvc());
            if (d.plan().diskName() != null) {
                o.put("disk", d.plan().diskName());
            }
            o.put("target", d.restore().target());
            o.put("target-kind", d.restore().targetKind().label());
            o.put("virtual-size", d.virtualSize());
            o.put("workers", d.restore().workers());
            ArrayNode imgs = o.putArray("images");
            d.restore().images().forEach(imgs::add);
        }
        return n;
    }

    private void printPlan(PrintWriter out, VmRestore restore, ObjectStorage remote) throws java.io.IOException {
        VmPlan plan = restore.plan();
        if (flags.json) {
            ObjectNode n = Json.object();
            n.put("dry-run", true);
            n.put("namespace", plan.namespace());
            n.put("vm", plan.vm());
            n.put("backup", plan.backup());
            ArrayNode disks = n.putArray("disks");
            for (VmRestore.PreparedDisk d : restore.disks()) {
                ObjectNode o = disks.addObject();
                o.put("pvc", d.plan().pvc());
                if (d.plan().diskName() != null) {
                    o.put("disk", d.plan().diskName());
                }
                o.put("pvc-size", d.plan().pvcSizeBytes());
                o.put("virtual-size", d.virtualSize());
                o.put("target", d.plan().target().toString());
                o.put("target-kind", kind(d));
                o.put("bytes-to-write", d.bytesToWrite());
                ArrayNode imgs = o.putArray("images");
                for (int i = 0; i < d.chain().images().size(); i++) {
                    Qcow2Image img = d.chain().images().get(i);
                    ObjectNode io = imgs.addObject();
                    io.put("checkpoint", d.plan().checkpointIds().get(i));
                    io.put("file", img.name());
                    io.put("file-size", img.source().size());
                    io.put("virtual-size", img.virtualSize());
                    io.put("cluster-size", img.clusterSize());
                }
            }
            remote.addTo(n);
            out.println(Json.pretty(n));
            return;
        }
        out.print(PrintableText.format("plan: restore VM %s/%s from backup %s (%d disk(s)); nothing written (--dry-run)%n",
                plan.namespace(), plan.vm(), plan.backup(), restore.disks().size()));
        for (VmRestore.PreparedDisk d : restore.disks()) {
            out.print(PrintableText.format("%nPVC %s -> %s (%s)%n", d.plan().pvc(), d.plan().target(), kind(d)));
            out.print(PrintableText.format("  virtual size %,d bytes (PVC size %,d), will write %,d bytes%n", d.virtualSize(),
                    d.plan().pvcSizeBytes(), d.bytesToWrite()));
            for (int i = 0; i < d.chain().images().size(); i++) {
                Qcow2Image img = d.chain().images().get(i);
                out.print(PrintableText.format("  %d. %-12s %s  (%,d bytes on disk, virtual %,d, cluster %d)%n", i + 1,
                        d.plan().checkpointIds().get(i), img.name(), img.source().size(),
                        img.virtualSize(), img.clusterSize()));
            }
        }
    }

    private static String kind(VmRestore.PreparedDisk d) {
        return d.restore().targetKind().label();
    }

    private void printSummary(PrintWriter out, VmRestore restore, Map<String, RestoreReport> reports, long nanos,
                              ObjectStorage remote) {
        VmPlan plan = restore.plan();
        long total = reports.values().stream().mapToLong(r -> r.result().virtualSize()).sum();
        long written = reports.values().stream().mapToLong(r -> r.result().bytesWritten()).sum();
        if (flags.json) {
            ObjectNode n = Json.object();
            n.put("status", "ok");
            n.put("namespace", plan.namespace());
            n.put("vm", plan.vm());
            n.put("backup", plan.backup());
            n.put("virtual-size", total);
            n.put("bytes-written", written);
            n.put("seconds", nanos / 1e9);
            ArrayNode disks = n.putArray("disks");
            reports.forEach((pvc, r) -> {
                ObjectNode o = disks.addObject();
                o.put("pvc", pvc);
                plan.disk(pvc).map(d -> d.diskName()).ifPresent(dn -> o.put("disk", dn));
                r.put(o, "target", "target-kind", "direct-io", "virtual-size", "bytes-written", "zero-bytes-skipped",
                        "data-bytes", "seconds", "digest", "verified", "workers", "zero-offload", "zero-bytes-written",
                        "page-cache-release", "warnings");
            });
            remote.addTo(n);
            out.println(Json.pretty(n));
            return;
        }
        out.print(PrintableText.format("restored VM %s/%s from backup %s: %d disk(s), %,d bytes written in %.3f s%n", plan.namespace(),
                plan.vm(), plan.backup(), reports.size(), written, nanos / 1e9));
        reports.forEach((pvc, r) -> out.println(r.diskLine(pvc)));
        remote.print(out);
    }
}
