package io.qcow2j.restore;

/**
 * Receives restore progress. Calls come from a thread of the restore's own, never from a worker
 * (a slow listener only makes the reports coarser), never concurrently, with {@code done} never
 * decreasing; the last call, before the restore returns, has the final count.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param done  guest bytes finished so far
     * @param total the virtual size
     */
    void progress(long done, long total);

    /** Ignores progress. */
    ProgressListener NONE = (d, t) -> { };
}
