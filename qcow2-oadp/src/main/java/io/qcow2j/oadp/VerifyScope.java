package io.qcow2j.oadp;

/**
 * What {@link BackupVerifier} checks: every backup of the location, or one backup, narrowed to a
 * namespace, one VM or one of its disks. A null component is "all".
 *
 * @param backup    one backup (manifests/&lt;backup&gt;/), or null for every backup
 * @param namespace the VMs of this namespace, or null
 * @param vm        this VM (needs {@code namespace}), or null
 * @param disk      this disk of the VM, by PVC or volume name (needs {@code vm}), or null
 */
public record VerifyScope(String backup, String namespace, String vm, String disk) {
    /** @throws IllegalArgumentException when a narrower scope lacks the wider one it needs */
    public VerifyScope {
        if (vm != null && namespace == null) {
            throw new IllegalArgumentException("a VM needs its namespace");
        }
        if (disk != null && vm == null) {
            throw new IllegalArgumentException("a disk needs its VM");
        }
    }

    /** Every backup, VM and disk. */
    public static VerifyScope all() {
        return new VerifyScope(null, null, null, null);
    }

    /** Whether every backup is checked, so the location-wide findings can be told. */
    public boolean allBackups() {
        return backup == null && disk == null;
    }
}
