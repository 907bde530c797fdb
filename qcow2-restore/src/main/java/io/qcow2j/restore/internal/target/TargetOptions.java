package io.qcow2j.restore.internal.target;

/**
 * How {@link Targets#open} opens a target.
 *
 * @param targetIsZero     the caller promises an existing target already reads as zeros: zero
 *                         ranges are skipped
 * @param directIo         also open with {@code O_DIRECT}; aligned writes bypass the page cache
 * @param releasePageCache after each flush drop the target's clean pages from the page cache
 *                         ({@code posix_fadvise(DONTNEED)}), so a restore holds tens of MiB of
 *                         page cache instead of the disk's data
 */
public record TargetOptions(boolean targetIsZero, boolean directIo, boolean releasePageCache) {
}
