package io.qcow2j.restore;

import io.qcow2j.restore.target.TargetKind;
import java.util.List;

/**
 * What a finished restore did; the target was forced to stable storage.
 *
 * @param target           the target's name (its path)
 * @param targetKind       new file, existing file or block device
 * @param directIo         whether the aligned writes went past the page cache ({@code O_DIRECT});
 *                         unaligned heads and tails never do
 * @param virtualSize      bytes of the restored disk
 * @param bytesWritten     bytes written or zeroed on the target (data and, where needed, zeros)
 * @param zeroBytesSkipped zero bytes left alone because the target already read as zeros there (a
 *                         new file, holes of an existing file, {@code targetIsZero}); the two add
 *                         up to the virtual size
 * @param dataBytes        bytes that came from data or compressed clusters
 * @param nanos            wall time from the first write to the end of the force
 * @param digest           the {@link io.qcow2j.restore.digest.DiskDigest} of the restored disk
 * @param notes            non-fatal remarks (stored backing file names)
 * @param workers          worker threads the restore ran with
 * @param zeroOffload      zero ranges went through the kernel where the target needed them
 *                         ({@link RestorePlan#zeroOffload()})
 * @param pageCacheRelease written pages were dropped from the page cache once flushed
 * @param zeroBytesWritten bytes of zero ranges written as literal zeros because the kernel could
 *                         not zero them (no libc, or a file system or device that refused)
 * @param warnings         the plan's warnings: missing capabilities and their cost
 */
public record RestoreResult(String target, TargetKind targetKind, boolean directIo, long virtualSize,
        long bytesWritten, long zeroBytesSkipped, long dataBytes, long nanos, String digest, List<String> notes,
        int workers, boolean zeroOffload, boolean pageCacheRelease, long zeroBytesWritten, List<String> warnings) {
    public RestoreResult {
        notes = List.copyOf(notes);
        warnings = List.copyOf(warnings);
    }

    /** Throughput over the virtual size, in MB/s (10^6). */
    public double megabytesPerSecond() {
        return nanos == 0 ? 0 : virtualSize / 1e6 / (nanos / 1e9);
    }
}
