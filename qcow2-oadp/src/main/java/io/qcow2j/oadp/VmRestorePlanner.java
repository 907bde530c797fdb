package io.qcow2j.oadp;

import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a VM backup in a {@link BackupLocation} against a restore request and turns it into a
 * {@link VmPlan}. Everything that can be known from the metadata alone is checked here, so that a
 * restore that gets a plan fails later only on the images, and one that does not has read no image
 * and touched nothing:
 * <ul>
 *   <li>the manifest and the index belong to the requested namespace and VM;</li>
 *   <li>the manifest's {@code checkpointChain} is non-empty, repeats no id, every id is a plain name
 *       and is in the index exactly once (in the controller's layout no id may repeat anywhere in
 *       the index, as its downloader requires; in the design document's, checkpoints outside the
 *       chain are ignored);</li>
 *   <li>the first checkpoint is {@code full}, every later one {@code incremental} whose
 *       {@code parent} is the previous checkpoint of the chain (a chain rebuilt in any other order
 *       composes the wrong data); the controller's layout compares types ignoring case and refuses
 *       a parent on the full checkpoint, as its downloader does;</li>
 *   <li>the disks: {@link DesignDocumentDisks} pairs {@code files[i]} with {@code pvcs[i]};
 *       {@link ControllerDisks} takes exactly one file per checkpoint and volume
 *       ({@code files[].diskName}), whose {@code objectPath} must be
 *       {@code checkpoints/<ns>/<vm>/<id>/<filename>}, so nothing outside this VM is ever read;</li>
 *   <li>every disk has a target, every target names a disk, no two disks share a target, and no
 *       target lies inside a local backup location.</li>
 * </ul>
 * Images are opened, sized and validated by {@link VmRestore#prepare}.
 */
public final class VmRestorePlanner {

    private VmRestorePlanner() {
    }

    /**
     * Loads the backup's metadata from {@code location} and plans the restore of every disk of the VM.
     *
     * @param targets disk name to the path its disk is restored to; must name every disk of the VM
     *                (by PVC name, or in the controller's layout also by volume name)
     * @throws InvalidBackupLayoutException if the layout is missing, malformed or inconsistent, or
     *                                      the targets do not match the VM's disks; the message names
     *                                      the object, checkpoint and disk involved
     * @throws InvalidTargetException       if a target lies inside the backup location, or is the same
     *                                      file as another disk's target
     * @throws IOException                  if the location cannot be read
     * @throws IllegalArgumentException     if {@code backup}, {@code namespace} or {@code vm} is not a
     *                                      plain path component
     */
    public static VmPlan plan(BackupLocation location, String backup, String namespace, String vm,
                              Map<String, Path> targets) throws IOException {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(targets, "targets");
        return plan(location, OadpLayout.load(location, backup, namespace, vm), namespace, vm, targets);
    }

    /** Plans from metadata already {@linkplain OadpLayout#load loaded} from {@code location}. */
    public static VmPlan plan(BackupLocation location, BackupMetadata metadata, String namespace, String vm,
                              Map<String, Path> targets) throws InvalidBackupLayoutException, InvalidTargetException {
        Objects.requireNonNull(targets, "targets");
        targets.forEach((k, v) -> {
            Objects.requireNonNull(k, "target PVC name");
            Objects.requireNonNull(v, "target path of PVC " + k);
        });
        Planning p = new Planning(location, metadata, namespace, vm);
        List<Checkpoint> chain = p.chain();
        List<DiskPlan> disks = p.controller
                ? ControllerDisks.all(p, chain) : DesignDocumentDisks.all(p, chain);
        return p.finish(PlanTargets.assign(p, disks, targets));
    }

    /**
     * Plans the restore of one disk, as the controller's downloader does: {@code volume} is the
     * controller's {@code files[].diskName} (in the design document's layout, the PVC name), and only
     * that disk's entries are checked.
     *
     * @see #plan(BackupLocation, String, String, String, Map)
     */
    public static VmPlan planVolume(BackupLocation location, String backup, String namespace, String vm,
                                    String volume, Path target) throws IOException {
        Objects.requireNonNull(location, "location");
        return planVolume(location, OadpLayout.load(location, backup, namespace, vm), namespace, vm, volume, target);
    }

    /** {@link #planVolume(BackupLocation, String, String, String, String, Path)} from loaded metadata. */
    public static VmPlan planVolume(BackupLocation location, BackupMetadata metadata, String namespace, String vm,
                                    String volume, Path target)
            throws InvalidBackupLayoutException, InvalidTargetException {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(target, "target");
        Planning p = new Planning(location, metadata, namespace, vm);
        List<Checkpoint> chain = p.chain();
        DiskPlan disk;
        if (p.controller) {
            disk = ControllerDisks.volume(p, chain, volume, target);
        } else {
            List<DiskPlan> all = DesignDocumentDisks.all(p, chain);
            disk = all.stream().filter(d -> d.pvc().equals(volume)).findFirst()
                    .orElseThrow(() -> p.indexError(null, "backup " + metadata.backup() + " of VM " + namespace + "/"
                            + vm + " has no PVC " + volume + " (its PVCs: "
                            + String.join(", ", all.stream().map(DiskPlan::pvc).toList()) + ")"));
            disk = new DiskPlan(disk.pvc(), disk.diskName(), disk.pvcSizeBytes(), disk.images(), target);
        }
        PlanTargets.check(p, List.of(disk));
        return p.finish(List.of(disk));
    }

    /**
     * Every disk of the VM with the checks of {@link #plan} but no targets ({@link PlanTargets#UNASSIGNED}):
     * for {@link BackupVerifier}, which writes nothing.
     */
    static VmPlan planUntargeted(BackupLocation location, BackupMetadata metadata, String namespace, String vm)
            throws InvalidBackupLayoutException {
        Planning p = new Planning(location, metadata, namespace, vm);
        List<Checkpoint> chain = p.chain();
        return p.finish(p.controller ? ControllerDisks.all(p, chain) : DesignDocumentDisks.all(p, chain));
    }

    /** One planning run; holds the names every error message needs. */
    static final class Planning {
        final BackupLocation location;
        final BackupMetadata md;
        final String namespace;
        final String vm;
        final boolean controller;

        Planning(BackupLocation location, BackupMetadata md, String namespace, String vm) {
            this.location = Objects.requireNonNull(location, "location");
            this.md = Objects.requireNonNull(md, "metadata");
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            this.vm = Objects.requireNonNull(vm, "vm");
            this.controller = md.layout() == OadpLayout.Kind.CONTROLLER;
        }

        InvalidBackupLayoutException indexError(String structure, String reason) {
            return new InvalidBackupLayoutException(md.indexFile(), structure, reason);
        }

        InvalidBackupLayoutException manifestError(String structure, String reason) {
            return new InvalidBackupLayoutException(md.manifestFile(), structure, reason);
        }

        VmPlan finish(List<DiskPlan> disks) {
            return new VmPlan(location, md.layout(), namespace, vm, md.backup(), disks);
        }

        /** The checks every disk shares; returns the chain's checkpoints, oldest first. */
        List<Checkpoint> chain() throws InvalidBackupLayoutException {
            checkIdentity();
            if (controller) {
                Set<String> ids = new HashSet<>();
                for (Checkpoint c : md.index().checkpoints()) {
                    if (!ids.add(c.id())) {
                        throw indexError("checkpoint " + c.id(), "duplicate checkpoint " + c.id() + " in the VM index");
                    }
                }
            }
            List<Checkpoint> chain = resolve(checkChainIds());
            checkTypesAndParents(chain);
            return chain;
        }

        private void checkIdentity() throws InvalidBackupLayoutException {
            VmManifest m = md.manifest();
            if (!m.namespace().equals(namespace) || !m.name().equals(vm)) {
                throw manifestError(OadpJson.MANIFEST, "manifest is for VM " + m.namespace() + "/" + m.name()
                        + ", but the restore asks for " + namespace + "/" + vm);
            }
            CheckpointIndex ix = md.index();
            if (!ix.namespace().equals(namespace) || !ix.vmName().equals(vm)) {
                throw indexError(OadpJson.INDEX, "index is for VM " + ix.namespace() + "/" + ix.vmName()
                        + ", but the restore asks for " + namespace + "/" + vm);
            }
        }

        private List<String> checkChainIds() throws InvalidBackupLayoutException {
            List<String> chain = md.manifest().checkpointChain();
            if (chain.isEmpty()) {
                throw manifestError("checkpointChain", "backup " + md.backup() + " lists no checkpoints for VM "
                        + namespace + "/" + vm + " (empty checkpoint chain)");
            }
            Map<String, Integer> firstPosition = new HashMap<>();
            for (int i = 0; i < chain.size(); i++) {
                String id = chain.get(i);
                if (!OadpLayout.isPlainComponent(id)) {
                    throw manifestError("checkpointChain", "checkpoint id \"" + PrintableText.name(id)
                            + "\" is not a plain directory name (no /, no \"..\")");
                }
                Integer earlier = firstPosition.putIfAbsent(id, i);
                if (earlier != null) {
                    throw manifestError("checkpointChain", "checkpoint " + id + " appears twice (positions "
                            + (earlier + 1) + " and " + (i + 1) + ")");
                }
            }
            return chain;
        }

        private List<Checkpoint> resolve(List<String> chain) throws InvalidBackupLayoutException {
            List<Checkpoint> out = new ArrayList<>(chain.size());
            for (String id : chain) {
                List<Checkpoint> found = md.index().findAll(id);
                if (found.isEmpty()) {
                    throw indexError("checkpoint " + id, "listed in the checkpointChain of backup " + md.backup()
                            + " (" + md.manifestFile() + ") but not in the index");
                }
                if (found.size() > 1) {
                    throw indexError("checkpoint " + id, "appears " + found.size() + " times in the index; which one"
                            + " backup " + md.backup() + " means is ambiguous");
                }
                out.add(found.get(0));
            }
            return out;
        }

        private boolean is(Checkpoint c, String type) {
            return controller ? c.type().toLowerCase(Locale.ROOT).equals(type) : c.type().equals(type);
        }

        private void checkTypesAndParents(List<Checkpoint> chain) throws InvalidBackupLayoutException {
            Checkpoint first = chain.get(0);
            if (!is(first, Checkpoint.FULL)) {
                throw indexError("checkpoint " + first.id(), "type is \"" + PrintableText.name(first.type()) + "\", but the first"
                        + " checkpoint of backup " + md.backup() + " must be \"" + Checkpoint.FULL + "\"");
            }
            // the design document's full checkpoint may name a parent: nothing is composed under it;
            // the controller's downloader refuses one, and so do we there
            if (controller && first.parent() != null && !first.parent().isEmpty()) {
                throw indexError("checkpoint " + first.id(), "is first in the chain of backup " + md.backup()
                        + " (a full backup) but has a parent " + PrintableText.name(first.parent()));
            }
            for (int i = 1; i < chain.size(); i++) {
                Checkpoint c = chain.get(i);
                String previous = chain.get(i - 1).id();
                if (!is(c, Checkpoint.INCREMENTAL)) {
                    String why = is(c, Checkpoint.FULL)
                            ? "only the first checkpoint of a chain (" + first.id() + ") may be full"
                            : "expected \"" + Checkpoint.INCREMENTAL + "\" (only full and incremental are known)";
                    throw indexError("checkpoint " + c.id(), "type is \"" + PrintableText.name(c.type()) + "\" at position " + (i + 1)
                            + " of backup " + md.backup() + "; " + why);
                }
                if (c.parent() == null || c.parent().isEmpty()) {
                    throw indexError("checkpoint " + c.id(), "incremental checkpoint has no parent; expected "
                            + previous + ", the previous checkpoint of backup " + md.backup());
                }
                if (!c.parent().equals(previous)) {
                    throw indexError("checkpoint " + c.id(), "parent is " + PrintableText.name(c.parent()) + ", but the previous"
                            + " checkpoint in the chain of backup " + md.backup() + " is " + previous
                            + " (composing it onto the wrong parent would restore the wrong data)");
                }
            }
        }
    }
}
