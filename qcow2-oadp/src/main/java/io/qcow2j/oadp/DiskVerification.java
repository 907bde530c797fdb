package io.qcow2j.oadp;

import io.qcow2j.core.Qcow2Exception;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of verifying one disk of one VM in one backup ({@link BackupVerifier}). When the
 * backup's metadata cannot be resolved into disks at all, there is one outcome for the VM with a
 * null {@code pvc}.
 */
public final class DiskVerification {
    private final String backup;
    private final String namespace;
    private final String vm;
    private final String pvc;
    private final String disk;
    private final List<String> checkpoints;
    private final List<Qcow2Exception> findings;
    private final long virtualSize;
    private final long pvcSize;
    private final long imageBytes;
    private final long winningBytes;
    private final long requests;
    private final long bytesRead;
    private final String digest;

    DiskVerification(String backup, String namespace, String vm, String pvc, String disk,
            List<String> checkpoints, List<Qcow2Exception> findings, long virtualSize, long pvcSize,
            long imageBytes, long winningBytes, long requests, long bytesRead, String digest) {
        checkpoints = List.copyOf(checkpoints);
        findings = List.copyOf(findings);
        this.backup = backup;
        this.namespace = namespace;
        this.vm = vm;
        this.pvc = pvc;
        this.disk = disk;
        this.checkpoints = checkpoints;
        this.findings = findings;
        this.virtualSize = virtualSize;
        this.pvcSize = pvcSize;
        this.imageBytes = imageBytes;
        this.winningBytes = winningBytes;
        this.requests = requests;
        this.bytesRead = bytesRead;
        this.digest = digest;
    }

    /** The backup. */
    public String backup() {
        return backup;
    }

    /** The VM's namespace. */
    public String namespace() {
        return namespace;
    }

    /** The VM. */
    public String vm() {
        return vm;
    }

    /** The disk's PVC, or null when the VM's disks could not be told. */
    public String pvc() {
        return pvc;
    }

    /** The volume ({@code files[].diskName}) in the controller's layout, else null. */
    public String disk() {
        return disk;
    }

    /** The chain's checkpoint ids, oldest first (empty when unknown). */
    public List<String> checkpoints() {
        return checkpoints;
    }

    /**
     * Every problem found, in the order found: the first is why a restore would fail; empty when
     * the disk is restorable. Each names its resource, structure and offset as the restore's errors
     * do.
     */
    public List<Qcow2Exception> findings() {
        return findings;
    }

    /** The restored disk's size, or -1 when not known. */
    public long virtualSize() {
        return virtualSize;
    }

    /** The PVC size the index records for the newest checkpoint, or -1. */
    public long pvcSize() {
        return pvcSize;
    }

    /** The chain's objects' total size (what a download would fetch), or -1. */
    public long imageBytes() {
        return imageBytes;
    }

    /**
     * The data bytes a restore would fetch and write (clusters that survive composition), or -1.
     */
    public long winningBytes() {
        return winningBytes;
    }

    /**
     * Calls made of the location to prove this disk (object-store requests, or file opens and
     * reads).
     */
    public long requests() {
        return requests;
    }

    /** Bytes read to prove it (metadata; with {@code deep} also the data). */
    public long bytesRead() {
        return bytesRead;
    }

    /** With {@code deep}, the {@code xxh64-64k} digest a restore will report (hex), else null. */
    public String digest() {
        return digest;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof DiskVerification o)) {
            return false;
        }
        return Objects.equals(backup, o.backup)
                && Objects.equals(namespace, o.namespace)
                && Objects.equals(vm, o.vm)
                && Objects.equals(pvc, o.pvc)
                && Objects.equals(disk, o.disk)
                && Objects.equals(checkpoints, o.checkpoints)
                && Objects.equals(findings, o.findings)
                && virtualSize == o.virtualSize
                && pvcSize == o.pvcSize
                && imageBytes == o.imageBytes
                && winningBytes == o.winningBytes
                && requests == o.requests
                && bytesRead == o.bytesRead
                && Objects.equals(digest, o.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(backup, namespace, vm, pvc, disk, checkpoints, findings, virtualSize,
                pvcSize, imageBytes, winningBytes, requests, bytesRead, digest);
    }

    @Override
    public String toString() {
        return "DiskVerification[backup=" + backup + ", namespace=" + namespace + ", vm=" + vm +
                ", pvc=" + pvc + ", disk=" + disk + ", checkpoints=" + checkpoints +
                ", findings=" + findings + ", virtualSize=" + virtualSize + ", pvcSize=" + pvcSize +
                ", imageBytes=" + imageBytes + ", winningBytes=" + winningBytes +
                ", requests=" + requests + ", bytesRead=" + bytesRead + ", digest=" + digest + "]";
    }

    /** Whether a restore of this disk from this backup would succeed. */
    public boolean ok() {
        return findings.isEmpty();
    }
}
