package io.qcow2j.restore.oadp;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How one disk (PVC) of a VM is restored: compose {@code images} in order, oldest first, and write
 * the result to {@code target}. Produced by {@link VmRestorePlanner} after the layout checks; the
 * images have been seen to exist as regular files but have not been opened, so qcow2 validity and
 * virtual sizes are still to be checked by the restore.
 *
 * @param pvc           the PVC name as written in the index
 * @param pvcSizeBytes  the PVC's size in bytes according to the newest checkpoint of the chain
 *                      (the disk may have been grown between checkpoints; the newest size is the one
 *                      the restored disk must have)
 * @param images        one image per checkpoint of the chain, oldest (the full checkpoint's) first;
 *                      immutable, never empty
 * @param checkpointIds the checkpoint id each image comes from, same order and length as
 *                      {@code images}; immutable
 * @param target        where the restored disk is written (regular file or block device)
 */
public record DiskPlan(String pvc, long pvcSizeBytes, List<Path> images, List<String> checkpointIds, Path target) {

    /**
     * @throws NullPointerException     if any component or element is null
     * @throws IllegalArgumentException if {@code images} is empty, its length differs from
     *                                  {@code checkpointIds}', or the size is negative
     */
    public DiskPlan {
        Objects.requireNonNull(pvc, "pvc");
        Objects.requireNonNull(target, "target");
        images = List.copyOf(images);
        checkpointIds = List.copyOf(checkpointIds);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("PVC " + pvc + ": a disk plan needs at least one image");
        }
        if (images.size() != checkpointIds.size()) {
            throw new IllegalArgumentException("PVC " + pvc + ": " + images.size() + " images but "
                    + checkpointIds.size() + " checkpoint ids");
        }
        if (pvcSizeBytes < 0) {
            throw new IllegalArgumentException("PVC " + pvc + ": negative size " + pvcSizeBytes);
        }
    }
}
