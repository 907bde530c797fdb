package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.gcs.GcsSettings;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.oadp.BackupLocation;
import io.qcow2j.oadp.DiskPlan;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import io.qcow2j.oadp.VmPlan;
import io.qcow2j.oadp.VmRestore;
import io.qcow2j.oadp.VmRestorePlanner;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.TargetState;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.internal.target.TargetAccess;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.internal.target.TargetAccess;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.internal.target.Targets;
import io.qcow2j.s3.ObjectStore;
import io.qcow2j.s3.S3Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code datamover-restore}: a drop-in for the kubevirt-datamover controller's downloader. No
 * arguments: the {@code KUBEVIRT_DM_*} environment ({@link DatamoverEnvironment}) says which volume
 * of which VM of which backup, in which bucket, goes where. Nothing is downloaded whole and no scratch
 * space is used: metadata and then only the winning clusters are read with ranged GETs and written
 * to the target. A regular-file target is restored into {@code .<name>.tmp-*} beside it and renamed
 * into place after {@code fsync} (a failure leaves neither); a block device is written in place and
 * never replaced or unlinked. The JSON summary goes to stdout, the pod log.
 */
@Command(name = "datamover-restore", mixinStandardHelpOptions = true,
        description = {"Restore one volume of a VM from a kubevirt-datamover backup in S3, Azure Blob Storage or"
            + " Google Cloud Storage,"
            + " as the controller's downloader does, configured by its KUBEVIRT_DM_* environment (docs/cli-contract.md).",
            "Reads only the clusters that survive composition; needs no scratch volume."})
final class DatamoverRestoreCommand implements Callable<Integer> {
    CommandSpec spec;

    /** Picocli's model of this command; its help gets the variables the command reads. */
    @Spec
    void spec(CommandSpec spec) {
        this.spec = spec;
        spec.usageMessage().footer(DatamoverEnvironment.help());
    }

    private final Events events;
    private final Map<String, String> env;
    private final SignalGuard signals;
    /** {@code KUBEVIRT_DM_EXPECT_DIGEST}: checked before a staged file is published. */
    private ExpectedDigest expected;

    DatamoverRestoreCommand(Events events, Map<String, String> env, SignalGuard signals) {
        this.events = events;
        this.env = env;
        this.signals = signals;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DatamoverEnvironment dm;
        S3Settings settings = null;
        AzureSettings azure = null;
        GcsSettings gcs = null;
        List<String> notes = new ArrayList<>();
        try {
            DatamoverEnvironment.checkProgress(env);
            dm = DatamoverEnvironment.parse(env);
            String want = env.get(DatamoverEnvironment.EXPECT_DIGEST);
            expected = want == null || want.isBlank() ? null
                    : ExpectedDigest.parse(DatamoverEnvironment.EXPECT_DIGEST, want);
            if (dm.azure()) {
                azure = dm.azureSettings(env);
            } else if (dm.gcp()) {
                gcs = dm.gcsSettings(env, notes);
            } else {
                settings = dm.settings(env, notes);
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage(), e);
        }
        if (!dm.unknown().isEmpty()) {
            notes.add("ignored unknown variables " + String.join(", ", dm.unknown()));
        }
        notes.forEach(n -> err.println("note: " + PrintableText.escape(n)));
        // SIGTERM (the DataDownload cancelled, the pod deleted): reported as cancelled, naming TARGET_PATH
        try (SignalGuard.Armed guard = signals.arm(dm.targetPath().toString());
             ObjectStorage store = new ObjectStorage()) {
            return restore(dm, location(dm, settings, azure, gcs, store), store, out, err, guard);
        }
    }

    private ObjectStore open(DatamoverEnvironment dm, S3Settings settings) {
        try {
            return ObjectStore.create(settings, env);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? String.valueOf(e) : e.getMessage();
            // the store parses the CA PEM: say which variable it came from
            String var = m.startsWith("CA certificate PEM") ? (dm.caCertPem() != null
                    ? DatamoverEnvironment.CA_CERT : "AWS_CA_BUNDLE") + ": " : "";
            throw usage(var + m, e);
        }
    }

    /** The backup location in the BSL's bucket or container, its store made into {@code storage}. */
    private BackupLocation location(DatamoverEnvironment dm, S3Settings settings, AzureSettings azure,
                                    GcsSettings gcs, ObjectStorage storage) {
        if (azure != null) {
            return new ObjectStoreBackupLocation(storage.blobStore(() -> azure, spec).container(dm.bucket()), dm.prefix());
        }
        if (gcs != null) {
            return new ObjectStoreBackupLocation(storage.gcsStore(() -> gcs, spec).bucket(dm.bucket()), dm.prefix());
        }
        return new ObjectStoreBackupLocation(storage.use(open(dm, settings)).bucket(dm.bucket()), dm.prefix());
    }

    private CommandLine.ParameterException usage(String message, Throwable cause) {
        return new CommandLine.ParameterException(spec.commandLine(), message, cause);
    }

    private int restore(DatamoverEnvironment dm, BackupLocation location, ObjectStorage store, PrintWriter out,
                        PrintWriter err, SignalGuard.Armed guard) throws IOException {
        long start = System.nanoTime();
        Path target = dm.targetPath();
        // what the library finds there (Targets.inspect decides the same again when preparing); a link
        // that exists counts, and only a device may be reached through one (checkTarget)
        boolean existed = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        boolean block = existed && Targets.kindOf(target).orElse(null) == TargetKind.BLOCK_DEVICE;
        checkTarget(dm, target, existed, block, err);
        VmPlan plan;
        try {
            plan = VmRestorePlanner.planVolume(location, dm.backup(), dm.namespace(), dm.vmName(), dm.volume(),
                    target);
        } catch (IllegalArgumentException e) { // a name that is not a plain path component
            throw usage(e.getMessage(), e);
        }
        List<Path> created = block ? List.of() : createDirectories(target);
        boolean published = false;
        try {
            // a file is restored beside the target and renamed over it (StagedFile), mode 0600 from creation
            RestoreOptions options = RestoreOptions.builder().replaceExistingFile(true)
                    .expectedDigest(expected == null ? null : expected.hex()).build();
            try (VmRestore restore = VmRestore.prepare(plan, options)) {
                long validationNanos = System.nanoTime() - start;
                VmRestore.PreparedDisk disk = restore.disks().get(0);
                disk.chain().notes().forEach(n -> err.println("note: " + PrintableText.escape(n)));
                disk.restore().warnings().forEach(w -> err.println("warning: " + PrintableText.escape(w)));
                store.warnings().forEach(w -> err.println("warning: " + PrintableText.escape(w)));
                events.emit(startEvent(dm, plan, disk));
                Progress bar = Progress.create(DatamoverEnvironment.jsonProgress(env) ? Progress.Mode.json
                        : Progress.Mode.none, err, events, target.toString(), store::addTo);
                List<VmRestore.DiskResult> results;
                // a file is staged and renamed over the path: replaced whole, or not at all
                guard.writing(switch (disk.restore().targetKind()) {
                    case BLOCK_DEVICE -> TargetState.PARTIALLY_WRITTEN;
                    case EXISTING_FILE -> TargetState.UNCHANGED;
                    case NEW_FILE -> TargetState.NOT_CREATED;
                });
                try {
                    results = restore.run(options.toBuilder().progress(bar).build());
                } finally {
                    bar.finish();
                }
                guard.done();
                published = true;
                RestoreReport report = RestoreReport.of(results.get(0).result(), disk.restore().images(),
                        validationNanos, false, "");
                ObjectNode done = report.doneEvent(events);
                store.addTo(done);
                events.emit(done);
                ObjectNode summary = summary(dm, plan, disk, report, start, store);
                // one record in the pod log: the controller logs every line it reads as one
                out.println(DatamoverEnvironment.jsonSummary(env) ? Json.line(summary)
                        : RestoreReport.datamoverLine(summary));
            }
        } finally {
            if (!published) {
                removeDirectories(created);
            }
        }
        return ExitCode.OK;
    }

    /** What the target path is must fit what the controller said it is; nothing is changed here. */
    private static void checkTarget(DatamoverEnvironment dm, Path target, boolean existed, boolean block,
                                    PrintWriter err) throws InvalidTargetException {
        String name = target.toString();
        if (Files.isDirectory(target)) {
            throw new InvalidTargetException(name, "is a directory; " + DatamoverEnvironment.TARGET_PATH
                    + " names the restored disk");
        }
        if (dm.targetIsBlockDevice() && !block) {
            throw new InvalidTargetException(name, (existed ? "is not a block device" : "does not exist") + ", but "
                    + DatamoverEnvironment.TARGET_IS_BLOCK + " is true");
        }
        if (existed && !block && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidTargetException(name, "is neither a regular file nor a block device");
        }
        if (block && !dm.targetIsBlockDevice()) {
            err.println("note: " + PrintableText.escape(name) + " is a block device: written in place (a device node is never replaced),"
                    + " although " + DatamoverEnvironment.TARGET_IS_BLOCK + " is not true");
        }
    }

    /**
     * Makes the missing directories of {@code target}'s directory (mode 0700, as the downloader);
     * returns them, deepest first.
     */
    private static List<Path> createDirectories(Path target) throws InvalidTargetException {
        Path dir = target.toAbsolutePath().getParent();
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d); d = d.getParent()) {
            missing.add(d);
        }
        for (int i = missing.size() - 1; i >= 0; i--) {
            try {
                Files.createDirectory(missing.get(i),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                removeDirectories(missing.subList(i + 1, missing.size()));
                Path parent = missing.get(i).getParent();
                throw new InvalidTargetException(target.toString(), "cannot make the target's directory "
                        + missing.get(i) + ": " + (e instanceof java.nio.file.AccessDeniedException && parent != null
                        ? TargetAccess.denied(parent) : e.toString()), e);
            }
        }
        return missing;
    }

    /** A failed restore leaves no directory it made (the restore removed its staging file). */
    private static void removeDirectories(List<Path> created) {
        try {
            for (Path d : created) {
                Files.deleteIfExists(d);
            }
        } catch (IOException | RuntimeException ignored) {
            // the error being reported matters more
        }
    }

    private ObjectNode startEvent(DatamoverEnvironment dm, VmPlan plan, VmRestore.PreparedDisk disk) {
        ObjectNode n = events.event("start");
        n.put("vm", dm.namespace() + "/" + dm.vmName());
        n.put("backup", dm.backup());
        n.put("volume", dm.volume());
        n.put("target", dm.targetPath().toString());
        n.put("target-kind", disk.restore().targetKind().label());
        n.put("virtual-size", disk.virtualSize());
        n.put("workers", disk.restore().workers());
        ArrayNode cps = n.putArray("checkpoints");
        plan.checkpointIds().forEach(cps::add);
        ArrayNode imgs = n.putArray("images");
        disk.restore().images().forEach(imgs::add);
        return n;
    }

    private ObjectNode summary(DatamoverEnvironment dm, VmPlan plan, VmRestore.PreparedDisk disk, RestoreReport report,
                               long start, ObjectStorage store) {
        DiskPlan d = disk.plan();
        ObjectNode n = Json.object();
        n.put("status", "ok");
        n.put("namespace", dm.namespace());
        n.put("vm", dm.vmName());
        n.put("backup", dm.backup());
        n.put("volume", dm.volume());
        n.put("pvc", d.pvc());
        n.put("layout", plan.layout() == io.qcow2j.oadp.OadpLayout.Kind.CONTROLLER ? "controller"
                : "design-document");
        report.put(n, "target", "target-kind", "virtual-size", "bytes-written", "data-bytes", "zero-bytes-skipped",
                "zero-bytes-written");
        n.put("seconds", (System.nanoTime() - start) / 1e9); // the whole run's, validation included
        report.put(n, "validation-seconds", "restore-seconds", "mb-per-second", "digest", "workers", "zero-offload");
        n.put("image-bytes", disk.imageBytes());
        store.addTo(n); // always: the backup location is in a store
        ArrayNode cps = n.putArray("checkpoints");
        plan.checkpointIds().forEach(cps::add);
        report.put(n, "images");
        ObjectNode dd = n.putObject("datadownload");
        dd.put("name", dm.dataDownloadName());
        dd.put("uid", dm.dataDownloadUid());
        report.put(n, "notes", "warnings");
        ArrayNode warnings = (ArrayNode) n.get("warnings");
        store.warnings().forEach(warnings::add);
        return n;
    }
}
