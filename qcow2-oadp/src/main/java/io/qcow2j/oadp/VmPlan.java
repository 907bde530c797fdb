package io.qcow2j.oadp;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything needed to restore disks of one VM from one backup, as checked by
 * {@link VmRestorePlanner}: one {@link DiskPlan} per disk of the backup's checkpoint chain (every
 * disk, or the one asked for), in the order the full checkpoint lists them. Every disk has exactly
 * one target and no two disks share a target.
 *
 * @param location  where the images are
 * @param layout    the layout the backup was found in
 * @param namespace the VM's namespace
 * @param vm        the VM's name
 * @param backup    the backup (manifest) the chain was taken from
 * @param disks     one plan per PVC; immutable, never empty
 */
public record VmPlan(BackupLocation location, OadpLayout.Kind layout, String namespace, String vm, String backup, List<DiskPlan> disks) {

    /**
     * @throws NullPointerException     if any component or element is null
     * @throws IllegalArgumentException if {@code disks} is empty or names a PVC twice
     */
    public VmPlan {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(backup, "backup");
        disks = List.copyOf(disks);
        if (disks.isEmpty()) {
            throw new IllegalArgumentException("VM " + namespace + "/" + vm + ": a plan needs at least one disk");
        }
        Set<String> seen = new HashSet<>();
        for (DiskPlan d : disks) {
            if (!seen.add(d.pvc())) {
                throw new IllegalArgumentException("VM " + namespace + "/" + vm + ": PVC " + d.pvc() + " planned twice");
            }
        }
    }

    /** The plan of the named PVC (or, in the controller's layout, volume), if it is a disk of this VM. */
    public Optional<DiskPlan> disk(String pvc) {
        return disks.stream().filter(d -> d.pvc().equals(pvc)).findFirst()
                .or(() -> disks.stream().filter(d -> pvc.equals(d.diskName())).findFirst());
    }

    /** The checkpoint ids of the chain, oldest first (the same for every disk). */
    public List<String> checkpointIds() {
        return disks.get(0).checkpointIds();
    }
}
