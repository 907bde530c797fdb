package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;

/**
 * Tuning and promises for a restore.
 *
 * @param targetIsZero the caller promises an existing target reads as zeros, so zero ranges are skipped
 * @param workers      threads reading, inflating and writing (>= 1)
 * @param progress     progress listener
 * @param open         how images are opened
 */
public record RestoreOptions(boolean targetIsZero, int workers, ProgressListener progress, OpenOptions open) {

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Runtime.getRuntime().availableProcessors(), ProgressListener.NONE,
                OpenOptions.defaults());
    }

    public RestoreOptions withTargetIsZero(boolean v) {
        return new RestoreOptions(v, workers, progress, open);
    }

    public RestoreOptions withWorkers(int n) {
        return new RestoreOptions(targetIsZero, Math.max(1, n), progress, open);
    }

    public RestoreOptions withProgress(ProgressListener p) {
        return new RestoreOptions(targetIsZero, workers, p, open);
    }

    public RestoreOptions withOpen(OpenOptions o) {
        return new RestoreOptions(targetIsZero, workers, progress, o);
    }
}
