package io.qcow2j.oadp;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How one disk of a VM is restored: compose {@code images} in order, oldest first, and write the
 * result to {@code target}. Produced by {@link VmRestorePlanner} from the metadata alone: the images
 * have not been opened yet; {@link VmRestore#prepare} opens and validates them.
 *
 * @param pvc          the PVC name as written in the index (the controller's layout: the PVC the
 *                     newest checkpoint pairs with the disk, else the disk name)
 * @param diskName     the VM volume ({@code files[].diskName}) in the controller's layout, else null
 * @param pvcSizeBytes the PVC's size in bytes according to the newest checkpoint of the chain (the
 *                     disk may have been grown between checkpoints), which the restored disk must
 *                     fit; -1 when not checked (the controller's layout records the PVC's request,
 *                     which a provisioner may round up, so the disk may be larger)
 * @param images       one image per checkpoint of the chain, oldest (the full checkpoint's) first;
 *                     immutable, never empty
 * @param target       where the restored disk is written (regular file or block device)
 */
public record DiskPlan(String pvc, String diskName, long pvcSizeBytes, List<DiskImage> images, Path target) {

    /**
     * @throws NullPointerException     if a required component or any element is null
     * @throws IllegalArgumentException if {@code images} is empty or the size is below -1
     */
    public DiskPlan {
        Objects.requireNonNull(pvc, "pvc");
        Objects.requireNonNull(target, "target");
        images = List.copyOf(images);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("PVC " + pvc + ": a disk plan needs at least one image");
        }
        if (pvcSizeBytes < -1) {
            throw new IllegalArgumentException("PVC " + pvc + ": negative size " + pvcSizeBytes);
        }
    }

    /** The checkpoint each image comes from, oldest first. */
    public List<String> checkpointIds() {
        return images.stream().map(DiskImage::checkpointId).toList();
    }

    /** The images' keys in the backup location, oldest first. */
    public List<String> keys() {
        return images.stream().map(DiskImage::key).toList();
    }

    /** The disk's name in messages: {@code PVC p}, with the volume when it differs. */
    public String label() {
        return diskName == null || diskName.equals(pvc) ? "PVC " + pvc : "PVC " + pvc + " (volume " + diskName + ")";
    }
}
