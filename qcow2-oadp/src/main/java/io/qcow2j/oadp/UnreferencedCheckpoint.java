package io.qcow2j.oadp;

/**
 * A checkpoint no backup's chain references: space that could be reclaimed (the verifier never
 * deletes anything).
 *
 * @param namespace the VM's namespace
 * @param vm        the VM
 * @param id        the checkpoint id
 * @param bytes     its files' sizes as the index records them, or -1 when it is not in the index
 * @param inIndex   false for a directory of objects under the VM's prefix that the index does not list
 */
public record UnreferencedCheckpoint(String namespace, String vm, String id, long bytes, boolean inIndex) {
}
