package io.qcow2j.restore.oadp;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything needed to restore every disk of one VM from one backup, as checked by
 * {@link VmRestorePlanner}: one {@link DiskPlan} per PVC of the backup's checkpoint chain, in the
 * order the full checkpoint lists its PVCs. Every PVC has exactly one target and no two disks share
 * a target.
 *
 * @param namespace the VM's namespace
 * @param vm        the VM's name
 * @param backup    the backup (manifest) the chain was taken from
 * @param disks     one plan per PVC; immutable, never empty
 */
public record VmPlan(String namespace, String vm, String backup, List<DiskPlan> disks) {

    /**
     * @throws NullPointerException     if any component or element is null
     * @throws IllegalArgumentException if {@code disks} is empty or names a PVC twice
     */
    public VmPlan {
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

    /** The plan of the named PVC, if it is a disk of this VM. */
    public Optional<DiskPlan> disk(String pvc) {
        return disks.stream().filter(d -> d.pvc().equals(pvc)).findFirst();
    }

    /** The checkpoint ids of the chain, oldest first (the same for every disk). */
    public List<String> checkpointIds() {
        return disks.get(0).checkpointIds();
    }
}
