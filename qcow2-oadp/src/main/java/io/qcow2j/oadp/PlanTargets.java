package io.qcow2j.oadp;

import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The targets of a plan: one per disk, named by PVC (or, in the controller's layout, by volume),
 * never the same file twice, never inside a local backup location or one of its images.
 */
final class PlanTargets {
    /** The target of a disk not yet paired with one. */
    static final Path UNASSIGNED = Path.of("unassigned");

    private PlanTargets() {
    }

    /** Gives every disk its target from {@code targets}, then {@linkplain #check checks} them. */
    static List<DiskPlan> assign(VmRestorePlanner.Planning p, List<DiskPlan> disks, Map<String, Path> targets)
            throws InvalidBackupLayoutException, InvalidTargetException {
        Set<String> names = new LinkedHashSet<>();
        for (DiskPlan d : disks) {
            names.add(d.pvc());
            if (d.diskName() != null) {
                names.add(d.diskName());
            }
        }
        String known = String.join(", ", disks.stream().map(DiskPlan::pvc).toList());
        String what = "VM " + p.namespace + "/" + p.vm + " in backup " + p.md.backup();
        for (String name : new TreeSet<>(targets.keySet())) {
            if (!names.contains(name)) {
                throw new InvalidBackupLayoutException(null, "PVC " + name,
                        "a target was given, but " + what + " has no such PVC (its PVCs: " + known + ")");
            }
        }
        List<DiskPlan> out = new ArrayList<>(disks.size());
        for (DiskPlan d : disks) {
            Path byPvc = targets.get(d.pvc());
            Path byVolume = d.diskName() == null || d.diskName().equals(d.pvc()) ? null : targets.get(d.diskName());
            if (byPvc != null && byVolume != null) {
                throw new InvalidBackupLayoutException(null, "PVC " + d.pvc(), "a target was given both for the PVC"
                        + " and for its volume " + d.diskName() + "; give one");
            }
            Path target = byPvc != null ? byPvc : byVolume;
            if (target == null) {
                throw new InvalidBackupLayoutException(null, "PVC " + d.pvc(),
                        "no target given; every disk of " + what + " needs one (its PVCs: " + known + ")");
            }
            out.add(new DiskPlan(d.pvc(), d.diskName(), d.pvcSizeBytes(), d.images(), target));
        }
        check(p, out);
        return out;
    }

    /**
     * No two disks on one file, no target inside a local backup location (a restore there could
     * destroy the backup), no target that is one of the images.
     */
    static void check(VmRestorePlanner.Planning p, List<DiskPlan> disks) throws InvalidTargetException {
        Map<Path, DiskPlan> diskOfTarget = new HashMap<>();
        for (DiskPlan d : disks) {
            DiskPlan other = diskOfTarget.putIfAbsent(resolved(d.target()), d);
            if (other != null) {
                throw new InvalidTargetException(d.target().toString(), d.label() + ": the same file as the target"
                        + " of " + other.label() + " (" + other.target() + "); " + d.label() + " would overwrite "
                        + other.label());
            }
        }
        if (!(p.location instanceof DirectoryBackupLocation dir)) {
            return; // object storage: no local path can alias it
        }
        Path root = resolved(dir.root());
        for (DiskPlan d : disks) {
            Path real = resolved(d.target());
            // an image is inside the location too: check it first, whose message says which image
            for (DiskPlan source : disks) {
                for (DiskImage img : source.images()) {
                    if (real.equals(resolved(dir.resolve(img.key())))) {
                        throw new InvalidTargetException(d.target().toString(), "target of " + d.label()
                                + " is the image of " + source.label() + " in checkpoint " + img.checkpointId()
                                + "; restoring would destroy the backup");
                    }
                }
            }
            if (real.startsWith(root)) {
                throw new InvalidTargetException(d.target().toString(), d.label() + ": lies inside the backup"
                        + " location " + p.location.name() + "; restoring there would destroy the backup");
            }
        }
    }

    /**
     * Where {@code p} really is: its real path when it exists (symbolic links and other spellings
     * resolved), else its directory's real path and its name, so two new files reached through a
     * symlinked directory compare equal.
     */
    static Path resolved(Path p) {
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
