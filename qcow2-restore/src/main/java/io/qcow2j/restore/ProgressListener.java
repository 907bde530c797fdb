package io.qcow2j.restore;

/**
 * Receives restore progress. Calls come from worker threads but never concurrently, with
 * {@code done} never decreasing.
 */
@FunctionalInterface
public interface ProgressListener {
    /** @param done guest bytes finished so far; @param total the virtual size */
    void progress(long done, long total);

    ProgressListener NONE = (d, t) -> { };
}
