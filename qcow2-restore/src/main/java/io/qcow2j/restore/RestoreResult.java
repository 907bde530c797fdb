package io.qcow2j.restore;

import io.qcow2j.restore.target.TargetKind;
import java.util.List;
import java.util.Objects;

/**
 * What a finished restore did; the target was forced to stable storage.
 */
public final class RestoreResult {
    private final String target;
    private final TargetKind targetKind;
    private final boolean directIo;
    private final long virtualSize;
    private final long bytesWritten;
    private final long zeroBytesSkipped;
    private final long dataBytes;
    private final long nanos;
    private final String digest;
    private final List<String> notes;
    private final int workers;
    private final boolean zeroOffload;
    private final boolean pageCacheRelease;
    private final long zeroBytesWritten;
    private final List<String> warnings;

    RestoreResult(String target, TargetKind targetKind, boolean directIo, long virtualSize,
            long bytesWritten, long zeroBytesSkipped, long dataBytes, long nanos, String digest,
            List<String> notes, int workers, boolean zeroOffload, boolean pageCacheRelease,
            long zeroBytesWritten, List<String> warnings) {
        notes = List.copyOf(notes);
        warnings = List.copyOf(warnings);
        this.target = target;
        this.targetKind = targetKind;
        this.directIo = directIo;
        this.virtualSize = virtualSize;
        this.bytesWritten = bytesWritten;
        this.zeroBytesSkipped = zeroBytesSkipped;
        this.dataBytes = dataBytes;
        this.nanos = nanos;
        this.digest = digest;
        this.notes = notes;
        this.workers = workers;
        this.zeroOffload = zeroOffload;
        this.pageCacheRelease = pageCacheRelease;
        this.zeroBytesWritten = zeroBytesWritten;
        this.warnings = warnings;
    }

    /** The target's name (its path). */
    public String target() {
        return target;
    }

    /** New file, existing file or block device. */
    public TargetKind targetKind() {
        return targetKind;
    }

    /**
     * Whether the aligned writes went past the page cache ({@code O_DIRECT}); unaligned heads and
     * tails never do.
     */
    public boolean directIo() {
        return directIo;
    }

    /** Bytes of the restored disk. */
    public long virtualSize() {
        return virtualSize;
    }

    /** Bytes written or zeroed on the target (data and, where needed, zeros). */
    public long bytesWritten() {
        return bytesWritten;
    }

    /**
     * Zero bytes left alone because the target already read as zeros there (a new file, holes of an
     * existing file, {@code targetIsZero}); the two add up to the virtual size.
     */
    public long zeroBytesSkipped() {
        return zeroBytesSkipped;
    }

    /** Bytes that came from data or compressed clusters. */
    public long dataBytes() {
        return dataBytes;
    }

    /** Wall time from the first write to the end of the force. */
    public long nanos() {
        return nanos;
    }

    /** The {@link io.qcow2j.restore.digest.DiskDigest} of the restored disk. */
    public String digest() {
        return digest;
    }

    /** Non-fatal remarks (stored backing file names). */
    public List<String> notes() {
        return notes;
    }

    /** Worker threads the restore ran with. */
    public int workers() {
        return workers;
    }

    /**
     * Zero ranges went through the kernel where the target needed them ({@link
     * RestorePlan#zeroOffload()}).
     */
    public boolean zeroOffload() {
        return zeroOffload;
    }

    /** Written pages were dropped from the page cache once flushed. */
    public boolean pageCacheRelease() {
        return pageCacheRelease;
    }

    /**
     * Bytes of zero ranges written as literal zeros because the kernel could not zero them (no
     * libc, or a file system or device that refused).
     */
    public long zeroBytesWritten() {
        return zeroBytesWritten;
    }

    /** The plan's warnings: missing capabilities and their cost. */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RestoreResult o)) {
            return false;
        }
        return Objects.equals(target, o.target)
                && Objects.equals(targetKind, o.targetKind)
                && directIo == o.directIo
                && virtualSize == o.virtualSize
                && bytesWritten == o.bytesWritten
                && zeroBytesSkipped == o.zeroBytesSkipped
                && dataBytes == o.dataBytes
                && nanos == o.nanos
                && Objects.equals(digest, o.digest)
                && Objects.equals(notes, o.notes)
                && workers == o.workers
                && zeroOffload == o.zeroOffload
                && pageCacheRelease == o.pageCacheRelease
                && zeroBytesWritten == o.zeroBytesWritten
                && Objects.equals(warnings, o.warnings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(target, targetKind, directIo, virtualSize, bytesWritten,
                zeroBytesSkipped, dataBytes, nanos, digest, notes, workers, zeroOffload,
                pageCacheRelease, zeroBytesWritten, warnings);
    }

    @Override
    public String toString() {
        return "RestoreResult[target=" + target + ", targetKind=" + targetKind +
                ", directIo=" + directIo + ", virtualSize=" + virtualSize +
                ", bytesWritten=" + bytesWritten + ", zeroBytesSkipped=" + zeroBytesSkipped +
                ", dataBytes=" + dataBytes + ", nanos=" + nanos + ", digest=" + digest +
                ", notes=" + notes + ", workers=" + workers + ", zeroOffload=" + zeroOffload +
                ", pageCacheRelease=" + pageCacheRelease +
                ", zeroBytesWritten=" + zeroBytesWritten + ", warnings=" + warnings + "]";
    }


    /** Throughput over the virtual size, in MB/s (10^6). */
    public double megabytesPerSecond() {
        return nanos == 0 ? 0 : virtualSize / 1e6 / (nanos / 1e9);
    }
}
