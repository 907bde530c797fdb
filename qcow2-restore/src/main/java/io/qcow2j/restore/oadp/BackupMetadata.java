package io.qcow2j.restore.oadp;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The two metadata files of one VM in one backup, as read by {@link OadpLayout#load}, with the paths
 * they came from so later errors can name them. Nothing beyond JSON well-formedness and field
 * presence has been checked yet; {@link VmRestorePlanner} does the consistency checks.
 *
 * @param backup       the backup name the manifest was looked up under
 * @param manifestFile where {@code manifest} was read from
 * @param manifest     the backup's manifest for the VM
 * @param indexFile    where {@code index} was read from
 * @param index        the VM's checkpoint index
 */
public record BackupMetadata(String backup, Path manifestFile, VmManifest manifest, Path indexFile,
                             CheckpointIndex index) {

    /** @throws NullPointerException if any component is null */
    public BackupMetadata {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(manifestFile, "manifestFile");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(indexFile, "indexFile");
        Objects.requireNonNull(index, "index");
    }
}
