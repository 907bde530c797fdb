package io.qcow2j.oadp;

import java.util.Objects;

/**
 * The two metadata objects of one VM in one backup, as read by {@link OadpLayout#load}, with the
 * names they came from so later errors can name them. Nothing beyond JSON well-formedness and field
 * presence has been checked yet; {@link VmRestorePlanner} does the consistency checks.
 *
 * @param backup       the backup name the manifest was looked up under
 * @param layout       which layout the manifest was found in
 * @param manifestFile the manifest's file or object name, for messages
 * @param manifest     the backup's manifest for the VM
 * @param indexFile    the index's file or object name, for messages
 * @param index        the VM's checkpoint index
 */
public record BackupMetadata(String backup, OadpLayout.Kind layout, String manifestFile, VmManifest manifest,
                             String indexFile, CheckpointIndex index) {

    /** @throws NullPointerException if any component is null */
    public BackupMetadata {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(manifestFile, "manifestFile");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(indexFile, "indexFile");
        Objects.requireNonNull(index, "index");
    }
}
