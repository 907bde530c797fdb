package io.qcow2j.oadp;

import java.util.List;
import java.util.Objects;

/**
 * One checkpoint of a VM as recorded in the {@linkplain CheckpointIndex index}: a set of qcow2 files,
 * one per disk, written by one VirtualMachineBackup. {@code files.get(i)} is the image of
 * {@code pvcs.get(i)}, whose size at backup time was {@code pvcSizes.get(i)}; the PVC order may
 * differ from one checkpoint to the next. The design document's files are plain names; the
 * controller's are objects naming their disk ({@link CheckpointFile}), and its {@code pvcs} and
 * {@code pvcSizes} may be null (read as empty). The lists are kept exactly as read (their lengths
 * and contents are checked by {@link VmRestorePlanner}, which can name the backup and the file).
 *
 * @param id           checkpoint id, also the name of its directory under the VM's directory
 * @param type         {@value #FULL} or {@value #INCREMENTAL} (other values are kept as read and
 *                     refused when planning)
 * @param parent       id of the checkpoint this one is incremental to; null when absent (normal for
 *                     a full checkpoint)
 * @param timestamp    creation time as written by the datamover, not interpreted; null when absent
 * @param vmBackup     name of the VirtualMachineBackup that wrote it; null when absent
 * @param files        the images, one per disk; immutable
 * @param pvcs         PVC names, {@code pvcs.get(i)} owning {@code files.get(i)}; immutable
 * @param pvcSizes     Kubernetes quantities (as Kubernetes writes them), one per PVC; immutable
 * @param referencedBy names of the backups using this checkpoint; empty when absent; immutable
 */
public record Checkpoint(String id, String type, String parent, String timestamp, String vmBackup,
                         List<CheckpointFile> files, List<String> pvcs, List<String> pvcSizes,
                         List<String> referencedBy) {

    /** The {@link #type()} of the checkpoint a chain starts from. */
    public static final String FULL = "full";
    /** The {@link #type()} of every checkpoint after the first in a chain. */
    public static final String INCREMENTAL = "incremental";

    /** @throws NullPointerException if a required component or any list element is null */
    public Checkpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        files = List.copyOf(files);
        pvcs = List.copyOf(pvcs);
        pvcSizes = List.copyOf(pvcSizes);
        referencedBy = List.copyOf(referencedBy);
    }

    /** The files' names, in order. */
    public List<String> fileNames() {
        return files.stream().map(CheckpointFile::filename).toList();
    }

    /** Whether {@link #type()} is {@value #FULL}. */
    public boolean isFull() {
        return FULL.equals(type);
    }

    /** Whether {@link #type()} is {@value #INCREMENTAL}. */
    public boolean isIncremental() {
        return INCREMENTAL.equals(type);
    }
}
