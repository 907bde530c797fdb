package io.qcow2j.restore;

import java.nio.file.Path;
import java.util.List;

/**
 * What a finished (forced to stable storage) restore did.
 *
 * @param target           where the disk went
 * @param targetKind       new file, existing file or block device
 * @param directIo         whether the aligned writes went past the page cache ({@code O_DIRECT},
 *                         {@link RestoreOptions#directIo()}); unaligned heads and tails never do
 * @param virtualSize      bytes of the restored disk
 * @param bytesWritten     bytes written or zeroed on the target (data and, where needed, zeros)
 * @param zeroBytesSkipped zero bytes left alone because the target already reads as zeros there (a
 *                         new file, holes of an existing file, {@code --target-is-zero}); the two
 *                         add up to the virtual size
 * @param dataBytes        bytes that came from data or compressed clusters
 * @param nanos            wall time from the first write to the end of the force
 * @param digest           the {@link DiskDigest} of the restored disk
 * @param notes            non-fatal remarks (stored backing file names)
 */
public record RestoreResult(Path target, Target.Kind targetKind, boolean directIo, long virtualSize, long bytesWritten,
        long zeroBytesSkipped, long dataBytes, long nanos, String digest, List<String> notes) {

    /** Throughput over the virtual size, in MB/s (10^6). */
    public double megabytesPerSecond() {
        return nanos == 0 ? 0 : virtualSize / 1e6 / (nanos / 1e9);
    }
}
