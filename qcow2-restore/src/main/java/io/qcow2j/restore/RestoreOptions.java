package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;

/**
 * Tuning and promises for a restore.
 *
 * @param targetIsZero the caller promises an existing target reads as zeros, so zero ranges are skipped
 * @param workers      threads reading, inflating and writing (>= 1)
 * @param progress     progress listener
 * @param open         how images are opened
 * @param flushEveryBytes start writeback (fdatasync) in the background after this many bytes were
 *                     written, so the disk works while the restore produces; 0 disables it
 * @param directIo     write the target with {@code O_DIRECT}, past the page cache, wherever a write
 *                     is aligned (see {@link Target#write}); the background flush is then skipped
 * @param releasePageCache after each background flush and the final one, drop the target's clean
 *                     page-cache pages ({@code posix_fadvise(DONTNEED)}), so the restore holds about
 *                     {@code flushEveryBytes} of page cache instead of the whole disk's data
 */
public record RestoreOptions(boolean targetIsZero, int workers, ProgressListener progress, OpenOptions open,
        long flushEveryBytes, boolean directIo, boolean releasePageCache) {
    /**
     * Default background flush interval. Measured on the 64 GiB S5 chain (1.8 GB of data, new file,
     * restore through the final fsync): no background flush 2.9-3.5 s, every 256 MiB 1.9-2.8 s,
     * 128 MiB 1.9-2.1 s, 32-64 MiB 1.7-2.0 s, 4-16 MiB no better. Few dirty pages keep the device
     * busy early and spare the page cache the reclaim that a big dirty backlog causes.
     */
    public static final long DEFAULT_FLUSH_EVERY = 32L << 20;

    public RestoreOptions(boolean targetIsZero, int workers, ProgressListener progress, OpenOptions open) {
        this(targetIsZero, workers, progress, open, DEFAULT_FLUSH_EVERY, false, true);
    }

    public RestoreOptions(boolean targetIsZero, int workers, ProgressListener progress, OpenOptions open,
            long flushEveryBytes) {
        this(targetIsZero, workers, progress, open, flushEveryBytes, false, true);
    }

    public RestoreOptions(boolean targetIsZero, int workers, ProgressListener progress, OpenOptions open,
            long flushEveryBytes, boolean directIo) {
        this(targetIsZero, workers, progress, open, flushEveryBytes, directIo, true);
    }

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Runtime.getRuntime().availableProcessors(), ProgressListener.NONE,
                OpenOptions.defaults());
    }

    public RestoreOptions withFlushEvery(long bytes) {
        return new RestoreOptions(targetIsZero, workers, progress, open, Math.max(0, bytes), directIo,
                releasePageCache);
    }

    public RestoreOptions withTargetIsZero(boolean v) {
        return new RestoreOptions(v, workers, progress, open, flushEveryBytes, directIo, releasePageCache);
    }

    public RestoreOptions withWorkers(int n) {
        return new RestoreOptions(targetIsZero, Math.max(1, n), progress, open, flushEveryBytes, directIo,
                releasePageCache);
    }

    public RestoreOptions withProgress(ProgressListener p) {
        return new RestoreOptions(targetIsZero, workers, p, open, flushEveryBytes, directIo, releasePageCache);
    }

    public RestoreOptions withOpen(OpenOptions o) {
        return new RestoreOptions(targetIsZero, workers, progress, o, flushEveryBytes, directIo, releasePageCache);
    }

    public RestoreOptions withDirectIo(boolean v) {
        return new RestoreOptions(targetIsZero, workers, progress, open, flushEveryBytes, v, releasePageCache);
    }

    /** See {@link #releasePageCache()}; on by default. */
    public RestoreOptions withReleasePageCache(boolean v) {
        return new RestoreOptions(targetIsZero, workers, progress, open, flushEveryBytes, directIo, v);
    }
}
