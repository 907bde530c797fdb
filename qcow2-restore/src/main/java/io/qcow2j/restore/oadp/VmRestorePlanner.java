package io.qcow2j.restore.oadp;

import java.io.IOException;
import io.qcow2j.restore.target.InvalidTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a VM backup in an {@link OadpLayout} against a restore request and turns it into a
 * {@link VmPlan}. Everything that can be known without opening a qcow2 image is checked here, so that
 * a restore that gets a plan fails later only on image contents, and one that does not has touched
 * nothing:
 * <ul>
 *   <li>the manifest and the index belong to the requested namespace and VM;</li>
 *   <li>the manifest's {@code checkpointChain} is non-empty, repeats no id, and every id is in the
 *       index exactly once (checkpoints of the index outside the chain are ignored);</li>
 *   <li>the first checkpoint is {@code full}, every later one {@code incremental} whose
 *       {@code parent} is the previous checkpoint of the chain (a chain rebuilt in any other order
 *       composes the wrong data);</li>
 *   <li>in every checkpoint, {@code files}, {@code pvcs} and {@code pvcSizes} have one entry per
 *       PVC, no PVC or file appears twice, file names are plain names inside the checkpoint's
 *       directory, and every size is a valid quantity;</li>
 *   <li>every checkpoint has exactly the PVCs of the full checkpoint, paired with its files by
 *       position ({@code files[i]} is the image of {@code pvcs[i]}, whatever the PVC order);</li>
 *   <li>every image exists as a readable regular file;</li>
 *   <li>every PVC has a target, every target names a PVC, no two PVCs share a target and no target
 *       is one of the images.</li>
 * </ul>
 * Image validity and virtual sizes (against {@link DiskPlan#pvcSizeBytes()} and the targets) are
 * left to the restore, which opens the images anyway.
 */
public final class VmRestorePlanner {

    private VmRestorePlanner() {
    }

    /**
     * Loads the backup's metadata from {@code layout} and plans the restore of every disk of the VM.
     *
     * @param layout    the downloaded backup location
     * @param backup    the backup name (selects {@code DIR/manifests/<backup>/<vm>.json})
     * @param namespace the VM's namespace
     * @param vm        the VM's name
     * @param targets   PVC name to the path its disk is restored to; must name every PVC of the VM
     * @return the checked plan
     * @throws InvalidBackupLayoutException if the layout is missing, malformed or inconsistent, or
     *                                      the targets do not match the VM's PVCs; the message names
     *                                      the file, checkpoint and PVC involved
     * @throws InvalidTargetException       if a target lies inside the backup location, is one of its
     *                                      images, or is the same file as another PVC's target
     * @throws IllegalArgumentException     if {@code backup}, {@code namespace} or {@code vm} is not
     *                                      a plain path component
     */
    public static VmPlan plan(OadpLayout layout, String backup, String namespace, String vm,
                              Map<String, Path> targets) throws InvalidBackupLayoutException, InvalidTargetException {
        Objects.requireNonNull(layout, "layout");
        return plan(layout, layout.load(backup, namespace, vm), namespace, vm, targets);
    }

    /**
     * Plans the restore from metadata already {@linkplain OadpLayout#load loaded} from {@code layout}.
     *
     * @see #plan(OadpLayout, String, String, String, Map)
     */
    public static VmPlan plan(OadpLayout layout, BackupMetadata metadata, String namespace, String vm,
                              Map<String, Path> targets) throws InvalidBackupLayoutException, InvalidTargetException {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(targets, "targets");
        targets.forEach((k, v) -> {
            Objects.requireNonNull(k, "target PVC name");
            Objects.requireNonNull(v, "target path of PVC " + k);
        });
        return new Planning(layout, metadata, namespace, vm).plan(targets);
    }

    /** One planning run; holds the names every error message needs. */
    private static final class Planning {
        private final OadpLayout layout;
        private final BackupMetadata md;
        private final String namespace;
        private final String vm;
        private final String manifestFile;
        private final String indexFile;

        Planning(OadpLayout layout, BackupMetadata md, String namespace, String vm) {
            this.layout = layout;
            this.md = md;
            this.namespace = namespace;
            this.vm = vm;
            this.manifestFile = md.manifestFile().toString();
            this.indexFile = md.indexFile().toString();
        }

        VmPlan plan(Map<String, Path> targets) throws InvalidBackupLayoutException, InvalidTargetException {
            checkIdentity();
            List<String> chain = checkChainIds();
            List<Checkpoint> checkpoints = resolve(chain);
            checkTypesAndParents(checkpoints);
            for (Checkpoint c : checkpoints) {
                checkShape(c);
            }
            List<String> pvcs = checkSamePvcs(checkpoints);
            checkTargets(pvcs, targets);

            List<DiskPlan> disks = new ArrayList<>(pvcs.size());
            Checkpoint newest = checkpoints.get(checkpoints.size() - 1);
            for (String pvc : pvcs) {
                List<Path> images = new ArrayList<>(checkpoints.size());
                for (Checkpoint c : checkpoints) {
                    images.add(image(c, pvc));
                }
                int n = newest.pvcs().indexOf(pvc);
                long size = KubeQuantity.parseBytes(newest.pvcSizes().get(n)); // checked in checkShape
                disks.add(new DiskPlan(pvc, size, images, chain, targets.get(pvc)));
            }
            checkTargetsAreNotImages(disks);
            return new VmPlan(namespace, vm, md.backup(), disks);
        }

        private void checkIdentity() throws InvalidBackupLayoutException {
            VmManifest m = md.manifest();
            if (!m.namespace().equals(namespace) || !m.name().equals(vm)) {
                throw new InvalidBackupLayoutException(manifestFile, OadpJson.MANIFEST,
                        "manifest is for VM " + m.namespace() + "/" + m.name() + ", but the restore asks for "
                                + namespace + "/" + vm);
            }
            CheckpointIndex ix = md.index();
            if (!ix.namespace().equals(namespace) || !ix.vmName().equals(vm)) {
                throw new InvalidBackupLayoutException(indexFile, OadpJson.INDEX,
                        "index is for VM " + ix.namespace() + "/" + ix.vmName() + ", but the restore asks for "
                                + namespace + "/" + vm);
            }
        }

        private List<String> checkChainIds() throws InvalidBackupLayoutException {
            List<String> chain = md.manifest().checkpointChain();
            if (chain.isEmpty()) {
                throw new InvalidBackupLayoutException(manifestFile, "checkpointChain",
                        "backup " + md.backup() + " lists no checkpoints for VM " + namespace + "/" + vm);
            }
            Map<String, Integer> firstPosition = new HashMap<>();
            for (int i = 0; i < chain.size(); i++) {
                String id = chain.get(i);
                if (!OadpLayout.isPlainComponent(id)) {
                    throw new InvalidBackupLayoutException(manifestFile, "checkpointChain",
                            "checkpoint id \"" + OadpJson.oneLine(id)
                                    + "\" is not a plain directory name (no /, no \"..\")");
                }
                Integer earlier = firstPosition.putIfAbsent(id, i);
                if (earlier != null) {
                    throw new InvalidBackupLayoutException(manifestFile, "checkpointChain",
                            "checkpoint " + id + " appears twice (positions " + (earlier + 1) + " and " + (i + 1) + ")");
                }
            }
            return chain;
        }

        private List<Checkpoint> resolve(List<String> chain) throws InvalidBackupLayoutException {
            List<Checkpoint> out = new ArrayList<>(chain.size());
            for (String id : chain) {
                List<Checkpoint> found = md.index().findAll(id);
                if (found.isEmpty()) {
                    throw new InvalidBackupLayoutException(indexFile, "checkpoint " + id,
                            "listed in the checkpointChain of backup " + md.backup() + " (" + manifestFile
                                    + ") but not in the index");
                }
                if (found.size() > 1) {
                    throw new InvalidBackupLayoutException(indexFile, "checkpoint " + id,
                            "appears " + found.size() + " times in the index; which one backup " + md.backup()
                                    + " means is ambiguous");
                }
                out.add(found.get(0));
            }
            return out;
        }

        private void checkTypesAndParents(List<Checkpoint> chain) throws InvalidBackupLayoutException {
            Checkpoint first = chain.get(0);
            if (!first.isFull()) {
                throw new InvalidBackupLayoutException(indexFile, "checkpoint " + first.id(),
                        "type is \"" + first.type() + "\", but the first checkpoint of backup " + md.backup()
                                + " must be \"" + Checkpoint.FULL + "\"");
            }
            // A full checkpoint's parent (if any) is deliberately ignored: nothing is composed under it.
            for (int i = 1; i < chain.size(); i++) {
                Checkpoint c = chain.get(i);
                String previous = chain.get(i - 1).id();
                if (!c.isIncremental()) {
                    String why = c.isFull()
                            ? "only the first checkpoint of a chain (" + first.id() + ") may be full"
                            : "expected \"" + Checkpoint.INCREMENTAL + "\" (only full and incremental are known)";
                    throw new InvalidBackupLayoutException(indexFile, "checkpoint " + c.id(),
                            "type is \"" + c.type() + "\" at position " + (i + 1) + " of backup " + md.backup()
                                    + "; " + why);
                }
                if (c.parent() == null) {
                    throw new InvalidBackupLayoutException(indexFile, "checkpoint " + c.id(),
                            "incremental checkpoint has no parent; expected " + previous
                                    + ", the previous checkpoint of backup " + md.backup());
                }
                if (!c.parent().equals(previous)) {
                    throw new InvalidBackupLayoutException(indexFile, "checkpoint " + c.id(),
                            "parent is " + c.parent() + ", but the previous checkpoint in the chain of backup "
                                    + md.backup() + " is " + previous
                                    + " (composing it onto the wrong parent would restore the wrong data)");
                }
            }
        }

        private void checkShape(Checkpoint c) throws InvalidBackupLayoutException {
            String where = "checkpoint " + c.id();
            int n = c.pvcs().size();
            if (c.files().size() != n || c.pvcSizes().size() != n) {
                throw new InvalidBackupLayoutException(indexFile, where,
                        "files has " + c.files().size() + " entries, pvcs " + n + ", pvcSizes " + c.pvcSizes().size()
                                + "; they must pair up by position (files[i] is the image of pvcs[i])");
            }
            if (n == 0) {
                throw new InvalidBackupLayoutException(indexFile, where, "lists no PVCs");
            }
            Map<String, String> pvcOfFile = new HashMap<>();
            Set<String> seenPvcs = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                String pvc = c.pvcs().get(i);
                String file = c.files().get(i);
                if (!seenPvcs.add(pvc)) {
                    throw new InvalidBackupLayoutException(indexFile, where, "PVC " + pvc + " is listed twice");
                }
                if (!OadpLayout.isPlainComponent(file)) {
                    throw new InvalidBackupLayoutException(indexFile, where,
                            "file \"" + OadpJson.oneLine(file) + "\" of PVC " + pvc
                                    + " is not a plain file name inside the checkpoint directory (no /, no \"..\")");
                }
                String other = pvcOfFile.putIfAbsent(file, pvc);
                if (other != null) {
                    throw new InvalidBackupLayoutException(indexFile, where,
                            "file " + file + " is listed for both PVC " + other + " and PVC " + pvc);
                }
                String size = c.pvcSizes().get(i);
                try {
                    KubeQuantity.parseBytes(size);
                } catch (IllegalArgumentException e) {
                    throw new InvalidBackupLayoutException(indexFile, where,
                            "size of PVC " + pvc + " (pvcSizes[" + i + "]): " + e.getMessage(), e);
                }
            }
        }

        /** Returns the PVCs of the chain in the full checkpoint's order. */
        private List<String> checkSamePvcs(List<Checkpoint> chain) throws InvalidBackupLayoutException {
            Checkpoint first = chain.get(0);
            List<String> pvcs = first.pvcs();
            Set<String> expected = Set.copyOf(pvcs);
            for (Checkpoint c : chain.subList(1, chain.size())) {
                for (String pvc : pvcs) {
                    if (!c.pvcs().contains(pvc)) {
                        throw new InvalidBackupLayoutException(indexFile, "checkpoint " + c.id(),
                                "PVC " + pvc + " of the full checkpoint " + first.id() + " is missing (backup "
                                        + md.backup() + " needs an image of every disk in every checkpoint)");
                    }
                }
                for (String pvc : c.pvcs()) {
                    if (!expected.contains(pvc)) {
                        throw new InvalidBackupLayoutException(indexFile, "checkpoint " + c.id(),
                                "PVC " + pvc + " is not in the full checkpoint " + first.id()
                                        + ", so it has no base image to restore from");
                    }
                }
            }
            return pvcs;
        }

        private void checkTargets(List<String> pvcs, Map<String, Path> targets)
                throws InvalidBackupLayoutException, InvalidTargetException {
            String known = String.join(", ", pvcs);
            for (String pvc : new TreeSet<>(targets.keySet())) {
                if (!pvcs.contains(pvc)) {
                    throw new InvalidBackupLayoutException(null, "PVC " + pvc,
                            "a target was given, but VM " + namespace + "/" + vm + " in backup " + md.backup()
                                    + " has no such PVC (its PVCs: " + known + ")");
                }
            }
            for (String pvc : pvcs) {
                if (!targets.containsKey(pvc)) {
                    throw new InvalidBackupLayoutException(null, "PVC " + pvc,
                            "no target given; every disk of VM " + namespace + "/" + vm + " in backup "
                                    + md.backup() + " needs one (its PVCs: " + known + ")");
                }
            }
            Map<Path, String> pvcOfTarget = new HashMap<>();
            for (String pvc : pvcs) {
                Path target = targets.get(pvc);
                Path real = resolved(target);
                String other = pvcOfTarget.putIfAbsent(real, pvc);
                if (other != null) {
                    throw new InvalidTargetException(target.toString(), "PVC " + pvc + ": the same file as the target"
                            + " of PVC " + other + " (" + targets.get(other) + "); PVC " + pvc + " would overwrite"
                            + " PVC " + other);
                }
            }
        }

        /** No target may be an image of the backup, or anything else inside the backup location. */
        private void checkTargetsAreNotImages(List<DiskPlan> disks) throws InvalidTargetException {
            Path root = resolved(layout.root());
            for (DiskPlan d : disks) {
                Path real = resolved(d.target());
                for (DiskPlan source : disks) {
                    for (int i = 0; i < source.images().size(); i++) {
                        if (real.equals(resolved(source.images().get(i)))) {
                            throw new InvalidTargetException(d.target().toString(), "target of PVC " + d.pvc()
                                    + " is the image of PVC " + source.pvc() + " in checkpoint "
                                    + source.checkpointIds().get(i) + "; restoring would destroy the backup");
                        }
                    }
                }
                if (real.startsWith(root)) {
                    throw new InvalidTargetException(d.target().toString(), "PVC " + d.pvc() + ": lies inside the"
                            + " backup location " + layout.root() + "; restoring there would destroy the backup");
                }
            }
        }

        private Path image(Checkpoint c, String pvc) throws InvalidBackupLayoutException {
            String file = c.files().get(c.pvcs().indexOf(pvc));
            Path path = layout.checkpointFile(namespace, vm, c.id(), file);
            String where = "checkpoint " + c.id();
            if (!Files.exists(path)) {
                throw new InvalidBackupLayoutException(path.toString(), where,
                        "image " + file + " of PVC " + pvc + " not found");
            }
            if (!Files.isRegularFile(path)) {
                throw new InvalidBackupLayoutException(path.toString(), where,
                        "image " + file + " of PVC " + pvc + " is not a regular file");
            }
            if (!Files.isReadable(path)) {
                throw new InvalidBackupLayoutException(path.toString(), where,
                        "image " + file + " of PVC " + pvc + " is not readable");
            }
            return path;
        }

        /**
         * Where {@code p} really is: its real path when it exists (symbolic links and other
         * spellings resolved), else its directory's real path and its name, so two new files
         * reached through a symlinked directory compare equal.
         */
        private static Path resolved(Path p) {
            Path abs = p.toAbsolutePath().normalize();
            try {
                return abs.toRealPath();
            } catch (IOException e) {
                Path parent = abs.getParent();
                if (parent != null && abs.getFileName() != null) {
                    try {
                        return parent.toRealPath().resolve(abs.getFileName());
                    } catch (IOException ignored) {
                        // no such directory: compared as spelled; the restore reports it
                    }
                }
                return abs;
            }
        }
    }
}
