package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.azure.AzureBackupLocation;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.oadp.BackupLocation;
import io.qcow2j.restore.oadp.DiskPlan;
import io.qcow2j.restore.oadp.VmPlan;
import io.qcow2j.restore.oadp.VmRestore;
import io.qcow2j.restore.oadp.VmRestorePlanner;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.StagedFile;
import io.qcow2j.s3.ObjectStore;
import io.qcow2j.s3.S3BackupLocation;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        description = {"Restore one volume of a VM from a kubevirt-datamover backup in S3 or Azure Blob Storage,"
            + " as the controller's downloader does, configured by its KUBEVIRT_DM_* environment (docs/cli-contract.md).",
            "Reads only the clusters that survive composition; needs no scratch volume."})
final class DatamoverRestoreCommand implements Callable<Integer> {
    private static final long SIGNAL_WAIT_SECONDS = 10;

    @Spec
    CommandSpec spec;

    private final Events events;
    private final Map<String, String> env;
    /** Counted down once the command's outcome was reported: a SIGTERM hook waits for it. */
    private final CountDownLatch reported = new CountDownLatch(1);

    DatamoverRestoreCommand(Events events, Map<String, String> env) {
        this.events = events;
        this.env = env;
    }

    /** Called by {@link Main} after it printed the outcome. */
    void reported() {
        reported.countDown();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DatamoverEnvironment dm;
        S3Settings settings = null;
        AzureSettings azure = null;
        List<String> notes = new ArrayList<>();
        try {
            DatamoverEnvironment.checkProgress(env);
            dm = DatamoverEnvironment.parse(env);
            if (dm.azure()) {
                azure = dm.azureSettings(env);
            } else {
                settings = dm.settings(env, notes);
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage(), e);
        }
        if (!dm.unknown().isEmpty()) {
            notes.add("ignored unknown variables " + String.join(", ", dm.unknown()));
        }
        notes.forEach(n -> err.println("note: " + n));
        // SIGTERM (the DataDownload cancelled, the pod deleted): stop the restore and let the
        // failure path remove the staging file and report, then let the JVM go
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            main.interrupt();
            try {
                reported.await(SIGNAL_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "qcow2j-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        try (ObjectStorage store = new ObjectStorage()) {
            return restore(dm, location(dm, settings, azure, store), store, out, err);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs: it waits for the report
            }
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
                                    ObjectStorage storage) {
        if (azure != null) {
            return new AzureBackupLocation(storage.blobStore(() -> azure, spec), dm.bucket(), dm.prefix());
        }
        return new S3BackupLocation(storage.use(open(dm, settings)), dm.bucket(), dm.prefix());
    }

    private CommandLine.ParameterException usage(String message, Throwable cause) {
        return new CommandLine.ParameterException(spec.commandLine(), message, cause);
    }

    private int restore(DatamoverEnvironment dm, BackupLocation location, ObjectStorage store, PrintWriter out,
                        PrintWriter err)
            throws IOException {
        long start = System.nanoTime();
        Path target = dm.targetPath();
        boolean existed = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        boolean block = isBlockDevice(target);
        checkTarget(dm, target, existed, block, err);
        StagedFile staged = block ? null : StagedFile.beside(target);
        Path restoreTo = block ? target : staged.staging();
        VmPlan plan;
        try {
            plan = VmRestorePlanner.planVolume(location, dm.backup(), dm.namespace(), dm.vmName(), dm.volume(),
                    restoreTo);
        } catch (IllegalArgumentException e) { // a name that is not a plain path component
            throw usage(e.getMessage(), e);
        }
        List<Path> created = block ? List.of() : createDirectories(restoreTo.getParent());
        boolean published = false;
        try {
            RestoreOptions options = RestoreOptions.builder().build();
            try (VmRestore restore = VmRestore.prepare(plan, options)) {
                long validationNanos = System.nanoTime() - start;
                VmRestore.PreparedDisk disk = restore.disks().get(0);
                disk.chain().notes().forEach(n -> err.println("note: " + n));
                disk.restore().warnings().forEach(w -> err.println("warning: " + w));
                store.warnings().forEach(w -> err.println("warning: " + w));
                events.emit(startEvent(dm, plan, disk, existed, block));
                Progress bar = Progress.create(DatamoverEnvironment.jsonProgress(env) ? Progress.Mode.json
                        : Progress.Mode.none, err, events, target.toString(), n -> stats(n, store));
                List<VmRestore.DiskResult> results;
                try {
                    results = restore.run(options.toBuilder().progress(bar).build());
                } finally {
                    bar.finish();
                }
                if (staged != null) {
                    // as the downloader leaves it: the restored disk is root's alone until the PV is rebound
                    Files.setPosixFilePermissions(restoreTo, PosixFilePermissions.fromString("rw-------"));
                    staged.publish();
                }
                published = true;
                RestoreResult r = results.get(0).result();
                ObjectNode done = events.event("done");
                done.put("target", target.toString());
                done.put("virtual-size", r.virtualSize());
                done.put("bytes-written", r.bytesWritten());
                done.put("digest", DiskDigest.NAME + ":" + r.digest());
                stats(done, store);
                events.emit(done);
                out.println(Json.pretty(summary(dm, plan, disk, r, kind(existed, block), start, validationNanos,
                        store)));
            }
        } finally {
            if (!published) {
                cleanUp(staged, created);
            }
        }
        return Main.OK;
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
            err.println("note: " + name + " is a block device: written in place (a device node is never replaced),"
                    + " although " + DatamoverEnvironment.TARGET_IS_BLOCK + " is not true");
        }
    }

    private static boolean isBlockDevice(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Makes the missing directories of {@code dir} (mode 0700, as the downloader); returns them, deepest first. */
    private static List<Path> createDirectories(Path dir) throws InvalidTargetException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d); d = d.getParent()) {
            missing.add(d);
        }
        for (int i = missing.size() - 1; i >= 0; i--) {
            try {
                Files.createDirectory(missing.get(i),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                cleanUp(null, missing.subList(i + 1, missing.size()));
                throw new InvalidTargetException(dir.toString(), "cannot make the target's directory "
                        + missing.get(i) + ": " + e, e);
            }
        }
        return missing;
    }

    /** A failed restore leaves nothing: no staging file, no directory it made. */
    private static void cleanUp(StagedFile staged, List<Path> created) {
        try {
            if (staged != null) {
                staged.close();
            }
            for (Path d : created) {
                Files.deleteIfExists(d);
            }
        } catch (IOException | RuntimeException ignored) {
            // the error being reported matters more; a leftover is named by its .tmp- name
        }
    }

    private static String kind(boolean existed, boolean block) {
        return block ? "block-device" : existed ? "existing-file" : "new-file";
    }

    private static void stats(ObjectNode n, ObjectStorage store) {
        var s = store.statistics();
        n.put("bytes-fetched", s.bytesFetched());
        n.put("requests", s.requests());
        n.put("retries", s.retries());
    }

    private ObjectNode startEvent(DatamoverEnvironment dm, VmPlan plan, VmRestore.PreparedDisk disk, boolean existed,
                                  boolean block) {
        ObjectNode n = events.event("start");
        n.put("vm", dm.namespace() + "/" + dm.vmName());
        n.put("backup", dm.backup());
        n.put("volume", dm.volume());
        n.put("target", dm.targetPath().toString());
        n.put("target-kind", kind(existed, block));
        n.put("virtual-size", disk.virtualSize());
        n.put("workers", disk.restore().workers());
        ArrayNode cps = n.putArray("checkpoints");
        plan.checkpointIds().forEach(cps::add);
        ArrayNode imgs = n.putArray("images");
        disk.restore().images().forEach(imgs::add);
        return n;
    }

    private ObjectNode summary(DatamoverEnvironment dm, VmPlan plan, VmRestore.PreparedDisk disk, RestoreResult r,
                               String kind, long start, long validationNanos, ObjectStorage store) {
        DiskPlan d = disk.plan();
        ObjectNode n = Json.object();
        n.put("status", "ok");
        n.put("namespace", dm.namespace());
        n.put("vm", dm.vmName());
        n.put("backup", dm.backup());
        n.put("volume", dm.volume());
        n.put("pvc", d.pvc());
        n.put("layout", plan.layout() == io.qcow2j.restore.oadp.OadpLayout.Kind.CONTROLLER ? "controller"
                : "design-document");
        n.put("target", dm.targetPath().toString());
        n.put("target-kind", kind);
        n.put("virtual-size", r.virtualSize());
        n.put("bytes-written", r.bytesWritten());
        n.put("data-bytes", r.dataBytes());
        n.put("zero-bytes-skipped", r.zeroBytesSkipped());
        n.put("zero-bytes-written", r.zeroBytesWritten());
        n.put("seconds", (System.nanoTime() - start) / 1e9);
        n.put("validation-seconds", validationNanos / 1e9);
        n.put("restore-seconds", r.nanos() / 1e9);
        n.put("mb-per-second", Math.round(r.megabytesPerSecond() * 10) / 10.0);
        n.put("digest", DiskDigest.NAME + ":" + r.digest());
        n.put("workers", r.workers());
        n.put("zero-offload", r.zeroOffload());
        n.put("image-bytes", disk.imageBytes());
        stats(n, store);
        ArrayNode cps = n.putArray("checkpoints");
        plan.checkpointIds().forEach(cps::add);
        ArrayNode imgs = n.putArray("images");
        disk.restore().images().forEach(imgs::add);
        ObjectNode dd = n.putObject("datadownload");
        dd.put("name", dm.dataDownloadName());
        dd.put("uid", dm.dataDownloadUid());
        ArrayNode notes = n.putArray("notes");
        r.notes().forEach(notes::add);
        ArrayNode warnings = n.putArray("warnings");
        r.warnings().forEach(warnings::add);
        store.warnings().forEach(warnings::add);
        return n;
    }
}
