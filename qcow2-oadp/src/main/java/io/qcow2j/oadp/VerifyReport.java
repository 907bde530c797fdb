package io.qcow2j.oadp;

import io.qcow2j.core.Qcow2Exception;
import java.util.List;

/**
 * What {@link BackupVerifier} found in a backup location.
 *
 * @param location     the location's name
 * @param disks        one outcome per backup, VM and disk checked, in backup then VM order
 * @param missing      checkpoints backups reference that are gone
 * @param unreferenced checkpoints no backup references; only told when every backup was checked
 *                     ({@link VerifyScope#allBackups()}), else empty
 * @param problems     location-wide problems that belong to no backup (a VM index that cannot be
 *                     read, so its unreferenced checkpoints cannot be told)
 * @param requests     calls made of the location in all
 * @param bytesRead    bytes read in all
 * @param nanos        wall time
 */
public record VerifyReport(String location, List<DiskVerification> disks, List<MissingCheckpoint> missing,
                           List<UnreferencedCheckpoint> unreferenced, List<Qcow2Exception> problems,
                           long requests, long bytesRead, long nanos) {
    public VerifyReport {
        disks = List.copyOf(disks);
        missing = List.copyOf(missing);
        unreferenced = List.copyOf(unreferenced);
        problems = List.copyOf(problems);
    }

    /** Whether every disk checked is restorable. */
    public boolean ok() {
        return disks.stream().allMatch(DiskVerification::ok);
    }
}
