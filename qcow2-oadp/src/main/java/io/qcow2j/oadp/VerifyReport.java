package io.qcow2j.oadp;

import io.qcow2j.core.Qcow2Exception;
import java.util.List;
import java.util.Objects;

/**
 * What {@link BackupVerifier} found in a backup location.
 */
public final class VerifyReport {
    private final String location;
    private final List<DiskVerification> disks;
    private final List<MissingCheckpoint> missing;
    private final List<UnreferencedCheckpoint> unreferenced;
    private final List<Qcow2Exception> problems;
    private final long requests;
    private final long bytesRead;
    private final long nanos;

    VerifyReport(String location, List<DiskVerification> disks, List<MissingCheckpoint> missing,
            List<UnreferencedCheckpoint> unreferenced, List<Qcow2Exception> problems, long requests,
            long bytesRead, long nanos) {
        disks = List.copyOf(disks);
        missing = List.copyOf(missing);
        unreferenced = List.copyOf(unreferenced);
        problems = List.copyOf(problems);
        this.location = location;
        this.disks = disks;
        this.missing = missing;
        this.unreferenced = unreferenced;
        this.problems = problems;
        this.requests = requests;
        this.bytesRead = bytesRead;
        this.nanos = nanos;
    }

    /** The location's name. */
    public String location() {
        return location;
    }

    /** One outcome per backup, VM and disk checked, in backup then VM order. */
    public List<DiskVerification> disks() {
        return disks;
    }

    /** Checkpoints backups reference that are gone. */
    public List<MissingCheckpoint> missing() {
        return missing;
    }

    /**
     * Checkpoints no backup references; only told when every backup was checked ({@link
     * VerifyScope#allBackups()}), else empty.
     */
    public List<UnreferencedCheckpoint> unreferenced() {
        return unreferenced;
    }

    /**
     * Location-wide problems that belong to no backup (a VM index that cannot be read, so its
     * unreferenced checkpoints cannot be told).
     */
    public List<Qcow2Exception> problems() {
        return problems;
    }

    /** Calls made of the location in all. */
    public long requests() {
        return requests;
    }

    /** Bytes read in all. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Wall time. */
    public long nanos() {
        return nanos;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof VerifyReport o)) {
            return false;
        }
        return Objects.equals(location, o.location)
                && Objects.equals(disks, o.disks)
                && Objects.equals(missing, o.missing)
                && Objects.equals(unreferenced, o.unreferenced)
                && Objects.equals(problems, o.problems)
                && requests == o.requests
                && bytesRead == o.bytesRead
                && nanos == o.nanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(location, disks, missing, unreferenced, problems, requests, bytesRead,
                nanos);
    }

    @Override
    public String toString() {
        return "VerifyReport[location=" + location + ", disks=" + disks + ", missing=" + missing +
                ", unreferenced=" + unreferenced + ", problems=" + problems +
                ", requests=" + requests + ", bytesRead=" + bytesRead + ", nanos=" + nanos + "]";
    }

    /** Whether every disk checked is restorable. */
    public boolean ok() {
        return disks.stream().allMatch(DiskVerification::ok);
    }
}
