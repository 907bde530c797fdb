package io.qcow2j.oadp;

/**
 * A checkpoint a backup references that is no longer there: not in the VM's index, or one of its
 * objects gone. The backup cannot be restored.
 *
 * @param backup     the backup referencing it
 * @param namespace  the VM's namespace
 * @param vm         the VM
 * @param checkpoint the checkpoint id
 * @param what       what is missing: the index entry, or the object (named)
 */
public record MissingCheckpoint(String backup, String namespace, String vm, String checkpoint, String what) {
}
