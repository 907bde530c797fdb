package io.qcow2j.oadp;

import java.util.Objects;

/**
 * One image of a disk's chain, where it is in the backup location.
 *
 * @param checkpointId the checkpoint it belongs to
 * @param key          its key in the {@link BackupLocation}
 * @param file         its file name, as the index lists it
 * @param declaredSize its length as recorded in the index, or {@link CheckpointFile#UNKNOWN_SIZE};
 *                     a different actual length refuses the restore
 */
public record DiskImage(String checkpointId, String key, String file, long declaredSize) {
    /** @throws NullPointerException if a name is null */
    public DiskImage {
        Objects.requireNonNull(checkpointId, "checkpointId");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(file, "file");
    }
}
