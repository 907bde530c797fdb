package io.qcow2j.oadp;

import io.qcow2j.core.Qcow2Exception;
import java.util.List;

/**
 * The outcome of verifying one disk of one VM in one backup ({@link BackupVerifier}). When the
 * backup's metadata cannot be resolved into disks at all, there is one outcome for the VM with a
 * null {@code pvc}.
 *
 * @param backup       the backup
 * @param namespace    the VM's namespace
 * @param vm           the VM
 * @param pvc          the disk's PVC, or null when the VM's disks could not be told
 * @param disk         the volume ({@code files[].diskName}) in the controller's layout, else null
 * @param checkpoints  the chain's checkpoint ids, oldest first (empty when unknown)
 * @param findings     every problem found, in the order found: the first is why a restore would
 *                     fail; empty when the disk is restorable. Each names its resource, structure
 *                     and offset as the restore's errors do
 * @param virtualSize  the restored disk's size, or -1 when not known
 * @param pvcSize      the PVC size the index records for the newest checkpoint, or -1
 * @param imageBytes   the chain's objects' total size (what a download would fetch), or -1
 * @param winningBytes the data bytes a restore would fetch and write (clusters that survive
 *                     composition), or -1
 * @param requests     calls made of the location to prove this disk (object-store requests, or
 *                     file opens and reads)
 * @param bytesRead    bytes read to prove it (metadata; with {@code deep} also the data)
 * @param digest       with {@code deep}, the {@code xxh64-64k} digest a restore will report (hex),
 *                     else null
 */
public record DiskVerification(String backup, String namespace, String vm, String pvc, String disk,
                               List<String> checkpoints, List<Qcow2Exception> findings, long virtualSize,
                               long pvcSize, long imageBytes, long winningBytes, long requests, long bytesRead,
                               String digest) {
    public DiskVerification {
        checkpoints = List.copyOf(checkpoints);
        findings = List.copyOf(findings);
    }

    /** Whether a restore of this disk from this backup would succeed. */
    public boolean ok() {
        return findings.isEmpty();
    }
}
