package io.qcow2j.oadp;

import io.qcow2j.oadp.internal.KubeQuantity;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.NativeLibraryUnavailableException;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import io.qcow2j.restore.InsufficientMemoryException;
import io.qcow2j.restore.Restore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Proves that backups in a location can be restored, without writing anything anywhere: for every
 * backup × VM × disk in a {@link VerifyScope}, the restore's own planning ({@link VmRestorePlanner})
 * and validation ({@link DiskChains}: every object there with its recorded size, every image valid
 * down to its last L2 table, backing names in order) from metadata alone, plus what a restore
 * tolerates but a backup should not have: a checkpoint the controller marked {@code superseded}.
 * It reports the winning bytes a restore would fetch and write, and what the proof cost. With
 * {@link VerifyOptions#deep()} it also runs the restore's pipeline into a sink that keeps nothing,
 * which reads and inflates every winning cluster and yields the digest a restore will report.
 *
 * <p>When every backup is checked it also tells, for the location as a whole, the checkpoints no
 * backup references and the backups that reference checkpoints no longer present.
 *
 * <p>Disks are checked one after the other; each chain is opened with the restore's parallelism and
 * budgets, and closed before the next, so memory is that of one restore.
 */
public final class BackupVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BackupVerifier() {
    }

    /** One VM in one backup, as found by listing (or named by the scope). */
    private record VmRef(String backup, String namespace, String vm) {
    }

    /**
     * Verifies the scope's backups in {@code location}.
     *
     * @throws InvalidBackupLayoutException when the scope matches nothing in the location
     * @throws InsufficientMemoryException  when a deep check cannot get a restore's buffers here
     * @throws NativeLibraryUnavailableException when this JVM cannot inflate an image's compression
     *                                      (the backup may be fine: it cannot be proven here)
     * @throws IOException                  when the location cannot be listed or read at all
     * @throws IllegalArgumentException     when a name in the scope is not a plain path component
     */
    public static VerifyReport verify(BackupLocation location, VerifyScope scope, VerifyOptions options)
            throws IOException {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(options, "options");
        long start = System.nanoTime();
        MeteredLocation loc = new MeteredLocation(Objects.requireNonNull(location, "location"));
        Run run = new Run(loc, scope, options);
        List<VmRef> vms = run.find();
        if (vms.isEmpty()) {
            throw new InvalidBackupLayoutException(loc.name(), null, "nothing to verify: no backup"
                    + (scope.backup() != null ? " " + scope.backup() : "")
                    + (scope.vm() != null ? " of VM " + scope.namespace() + "/" + scope.vm()
                    : scope.namespace() != null ? " of namespace " + scope.namespace() : "") + " in this location");
        }
        for (int i = 0; i < vms.size(); i++) {
            run.verifyVm(vms.get(i), i + 1, vms.size());
        }
        List<UnreferencedCheckpoint> unreferenced = scope.allBackups() ? run.unreferenced() : List.of();
        return new VerifyReport(loc.name(), run.disks, new ArrayList<>(run.missing.values()), unreferenced,
                run.problems, loc.requests(), loc.bytesRead(), System.nanoTime() - start);
    }

    /** One verification's state. */
    private static final class Run {
        final MeteredLocation loc;
        final VerifyScope scope;
        final VerifyOptions options;
        final List<DiskVerification> disks = new ArrayList<>();
        final Map<String, MissingCheckpoint> missing = new LinkedHashMap<>();
        final List<Qcow2Exception> problems = new ArrayList<>();
        /** ns/vm to every checkpoint id any backup's manifest names. */
        final Map<String, Set<String>> referenced = new LinkedHashMap<>();

        Run(MeteredLocation loc, VerifyScope scope, VerifyOptions options) {
            this.loc = loc;
            this.scope = scope;
            this.options = options;
        }

        /** The VMs of the scope's backups: named, or found by listing the manifests. */
        List<VmRef> find() throws IOException {
            List<String> backups = scope.backup() != null ? List.of(scope.backup()) : plain(loc.list("manifests"));
            List<VmRef> out = new ArrayList<>();
            for (String b : backups) {
                if (scope.vm() != null && scope.backup() != null) {
                    out.add(new VmRef(b, scope.namespace(), scope.vm())); // named: its absence is a finding
                    continue;
                }
                Set<VmRef> seen = new LinkedHashSet<>();
                for (String name : loc.list("manifests/" + OadpLayout.segment("backup name", b))) {
                    if (!name.endsWith(".json") || name.equals("index.json")) {
                        continue;
                    }
                    String key = "manifests/" + b + "/" + name;
                    try {
                        byte[] bytes = loc.read(key, OadpLayout.MAX_METADATA_BYTES).orElse(null);
                        if (bytes == null) {
                            continue; // a directory, or gone since the listing
                        }
                        VmManifest m = OadpJson.parseManifest(loc.nameOf(key), bytes);
                        if ((scope.namespace() == null || scope.namespace().equals(m.namespace()))
                                && (scope.vm() == null || scope.vm().equals(m.name()))) {
                            seen.add(new VmRef(b, m.namespace(), m.name()));
                        }
                    } catch (InvalidBackupLayoutException e) {
                        // a manifest that cannot be read makes its backup unrestorable: say which
                        disks.add(broken(new VmRef(b, "?", name), List.of(), e, loc.requests(), loc.bytesRead()));
                    }
                }
                out.addAll(seen);
            }
            return out;
        }

        void verifyVm(VmRef ref, int done, int total) throws IOException {
            long requests = loc.requests();
            long bytes = loc.bytesRead();
            BackupMetadata md;
            VmPlan plan;
            try {
                md = OadpLayout.load(loc, ref.backup(), ref.namespace(), ref.vm());
            } catch (InvalidBackupLayoutException | IllegalArgumentException e) {
                tell(broken(ref, List.of(), layoutProblem(e), requests, bytes), done, total);
                return;
            }
            List<String> chain = md.manifest().checkpointChain();
            referenced.computeIfAbsent(ref.namespace() + "/" + ref.vm(), k -> new HashSet<>()).addAll(chain);
            for (String id : chain) {
                if (md.index().findAll(id).isEmpty()) {
                    missing(ref, id, "not in the checkpoint index " + md.indexFile());
                }
            }
            try {
                plan = VmRestorePlanner.planUntargeted(loc, md, ref.namespace(), ref.vm());
            } catch (InvalidBackupLayoutException e) {
                tell(broken(ref, chain, e, requests, bytes), done, total);
                return;
            }
            List<Qcow2Exception> vmFindings = superseded(md, chain);
            List<DiskPlan> selected = plan.disks();
            if (scope.disk() != null) {
                selected = plan.disk(scope.disk()).map(List::of).orElse(List.of());
                if (selected.isEmpty()) {
                    tell(broken(ref, chain, new InvalidBackupLayoutException(md.indexFile(), null, "backup "
                            + ref.backup() + " of VM " + ref.namespace() + "/" + ref.vm() + " has no disk "
                            + scope.disk() + " (its PVCs: " + String.join(", ", plan.disks().stream()
                            .map(DiskPlan::pvc).toList()) + ")"), requests, bytes), done, total);
                    return;
                }
            }
            for (int i = 0; i < selected.size(); i++) {
                DiskVerification d = verifyDisk(plan, md, selected.get(i), vmFindings);
                tell(d, i == selected.size() - 1 ? done : done - 1, total);
            }
        }

        private DiskVerification verifyDisk(VmPlan plan, BackupMetadata md, DiskPlan d,
                                            List<Qcow2Exception> vmFindings) throws IOException {
            long requests = loc.requests();
            long bytes = loc.bytesRead();
            List<Qcow2Exception> findings = new ArrayList<>(vmFindings);
            long virtual = -1;
            long images = -1;
            long winning = -1;
            String digest = null;
            try {
                DiskChains.Validated v = DiskChains.openCounting(plan, d, chainOptions());
                try (Chain chain = v.chain()) {
                    virtual = chain.virtualSize();
                    images = v.imageBytes();
                    winning = v.dataBytes();
                    // the restore's own memory checks (buffers, the chain's metadata in the heap), so a
                    // backup that passes here is one a restore in the same pod can take
                    Restore restore = Restore.of(chain, new DiscardingSink(), options.restore());
                    restore.prepare();
                    if (options.deep()) {
                        digest = restore.run().digest();
                    }
                }
            } catch (InsufficientMemoryException | NativeLibraryUnavailableException e) {
                throw e; // this machine cannot tell; the backup may be fine
            } catch (Qcow2Exception e) {
                findings.add(e);
                for (DiskImage img : d.images()) {
                    if (loc.size(img.key()).isEmpty()) {
                        missing(new VmRef(plan.backup(), plan.namespace(), plan.vm()), img.checkpointId(),
                                "object " + loc.nameOf(img.key()) + " is missing");
                    }
                }
            }
            return new DiskVerification(plan.backup(), plan.namespace(), plan.vm(), d.pvc(),
                    d.diskName(), d.checkpointIds(), findings, virtual, pvcSize(md, d), images, winning,
                    loc.requests() - requests, loc.bytesRead() - bytes, digest);
        }

        /**
         * The restore's chain options, opening each remote image with its header cluster only: the
         * restore's larger read-ahead saves a round trip per image but fetches clusters (a refcount
         * block, the rest of the L1 table's cluster) the open never reads, and here bytes are the cost.
         */
        private ChainOptions chainOptions() {
            ChainOptions c = options.restore().chainOptions();
            return c.withOpen(c.open().withOpeningReadAheadBytes(OpenOptions.HEADER_CLUSTER_READ_AHEAD_BYTES));
        }

        /**
         * A backup whose chain holds a checkpoint the controller marked {@code superseded} (an
         * unexpected full backup reset the chain after it) depends on objects the controller no
         * longer maintains: a restore composes them today, pruning may remove them tomorrow.
         */
        private List<Qcow2Exception> superseded(BackupMetadata md, List<String> chain) throws IOException {
            String key = OadpLayout.indexKey(md.manifest().namespace(), md.manifest().name());
            byte[] index = loc.read(key, OadpLayout.MAX_METADATA_BYTES).orElse(null); // kept from loading
            List<Qcow2Exception> out = new ArrayList<>();
            if (index == null) {
                return out;
            }
            Set<String> ids = new HashSet<>(chain);
            for (JsonNode c : JSON.readTree(index).path("checkpoints")) {
                String id = c.path("id").asText();
                if (c.path("superseded").asBoolean(false) && ids.contains(id)) {
                    out.add(new InvalidBackupLayoutException(md.indexFile(), "checkpoint " + id, "is superseded (a"
                            + " later full backup reset the chain), but backup " + md.backup() + " still references it:"
                            + " its objects are no longer maintained and may be pruned"));
                }
            }
            return out;
        }

        /** The PVC size the index records for the disk in the chain's newest checkpoint, or -1. */
        private static long pvcSize(BackupMetadata md, DiskPlan d) {
            if (d.pvcSizeBytes() >= 0) {
                return d.pvcSizeBytes();
            }
            List<String> ids = d.checkpointIds();
            for (Checkpoint c : md.index().findAll(ids.get(ids.size() - 1))) {
                for (int i = 0; i < c.files().size() && c.pvcSizes().size() == c.files().size(); i++) {
                    if (Objects.equals(c.files().get(i).diskName(), d.diskName())) {
                        try {
                            return KubeQuantity.parseBytes(c.pvcSizes().get(i));
                        } catch (IllegalArgumentException e) {
                            return -1; // not used by the restore in this layout
                        }
                    }
                }
            }
            return -1;
        }

        /** Listed names no key can be built from (a backslash, from a copied directory): not ours. */
        private static List<String> plain(List<String> names) {
            return names.stream().filter(OadpLayout::isPlainComponent).toList();
        }

        private static Qcow2Exception layoutProblem(Exception e) {
            return e instanceof Qcow2Exception q ? q : new InvalidBackupLayoutException(null, null, e.getMessage(), e);
        }

        private DiskVerification broken(VmRef ref, List<String> chain, Qcow2Exception e, long requests, long bytes) {
            return new DiskVerification(ref.backup(), ref.namespace(), ref.vm(), null, null, chain, List.of(e), -1,
                    -1, -1, -1, loc.requests() - requests, loc.bytesRead() - bytes, null);
        }

        private void tell(DiskVerification d, int done, int total) {
            disks.add(d);
            options.listener().checked(d, done, total);
        }

        private void missing(VmRef ref, String id, String what) {
            missing.putIfAbsent(ref.backup() + "\0" + ref.namespace() + "\0" + ref.vm() + "\0" + id,
                    new MissingCheckpoint(ref.backup(), ref.namespace(), ref.vm(), id, what));
        }

        /** Checkpoints in the scope's VMs' indexes, or under their prefixes, that no manifest names. */
        List<UnreferencedCheckpoint> unreferenced() throws IOException {
            List<String[]> vms = new ArrayList<>();
            if (scope.vm() != null) {
                vms.add(new String[] {scope.namespace(), scope.vm()});
            } else {
                List<String> nss = scope.namespace() != null ? List.of(scope.namespace())
                        : plain(loc.list("checkpoints"));
                for (String ns : nss) {
                    for (String vm : plain(loc.list("checkpoints/" + OadpLayout.segment("namespace", ns)))) {
                        vms.add(new String[] {ns, vm});
                    }
                }
            }
            List<UnreferencedCheckpoint> out = new ArrayList<>();
            for (String[] v : vms) {
                String ns = v[0];
                String vm = v[1];
                Set<String> refs = referenced.getOrDefault(ns + "/" + vm, Set.of());
                String key = OadpLayout.indexKey(ns, vm);
                Set<String> listed = new HashSet<>();
                try {
                    byte[] bytes = loc.read(key, OadpLayout.MAX_METADATA_BYTES).orElse(null);
                    if (bytes != null) {
                        for (Checkpoint c : OadpJson.parseIndex(loc.nameOf(key), bytes).checkpoints()) {
                            listed.add(c.id());
                            if (!refs.contains(c.id())) {
                                long size = 0;
                                for (CheckpointFile f : c.files()) {
                                    size = f.size() < 0 || size < 0 ? -1 : size + f.size();
                                }
                                out.add(new UnreferencedCheckpoint(ns, vm, c.id(), size, true));
                            }
                        }
                    }
                } catch (InvalidBackupLayoutException e) {
                    problems.add(e);
                    continue; // which checkpoints it lists cannot be told
                }
                for (String name : loc.list(OadpLayout.indexKey(ns, vm).replace("/index.json", ""))) {
                    if (!name.equals("index.json") && !listed.contains(name) && !refs.contains(name)) {
                        out.add(new UnreferencedCheckpoint(ns, vm, name, -1, false));
                    }
                }
            }
            return out;
        }
    }
}
