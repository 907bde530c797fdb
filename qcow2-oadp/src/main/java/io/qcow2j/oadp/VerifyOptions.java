package io.qcow2j.oadp;

import io.qcow2j.restore.RestoreOptions;
import java.util.Objects;

/**
 * How {@link BackupVerifier} runs. Immutable: start from {@link #metadata()} and change what
 * differs with the {@code with...} methods (a final class rather than a record, so that options can
 * be added without breaking callers).
 */
public final class VerifyOptions {

    /** Progress of a verification. */
    @FunctionalInterface
    public interface Listener {
        /** Nothing. */
        Listener NONE = (d, done, total) -> { };

        /**
         * @param disk  the disk just checked
         * @param done  VMs (backup × VM) finished so far, this one's disks included when it is done
         * @param total VMs to check
         */
        void checked(DiskVerification disk, int done, int total);
    }

    private final boolean deep;
    private final RestoreOptions restore;
    private final Listener listener;

    private VerifyOptions(boolean deep, RestoreOptions restore, Listener listener) {
        this.deep = deep;
        this.restore = Objects.requireNonNull(restore, "restore");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Metadata only, default restore options, no progress. */
    public static VerifyOptions metadata() {
        return new VerifyOptions(false, RestoreOptions.builder().build(), Listener.NONE);
    }

    /**
     * Whether every winning cluster is also read (compressed ones inflated) through the restore's
     * pipeline, for the digest a restore will report.
     */
    public boolean deep() {
        return deep;
    }

    /**
     * The restore's options: how images are opened (corrupt images, backing base) and, when
     * {@link #deep()}, its workers and memory budget.
     */
    public RestoreOptions restore() {
        return restore;
    }

    /** Told after every disk, for progress. */
    public Listener listener() {
        return listener;
    }

    /** These options, reading every winning cluster too (or not). */
    public VerifyOptions withDeep(boolean readEveryCluster) {
        return new VerifyOptions(readEveryCluster, restore, listener);
    }

    /** These options, with the restore's options {@code options}. */
    public VerifyOptions withRestore(RestoreOptions options) {
        return new VerifyOptions(deep, options, listener);
    }

    /** These options, telling {@code progress} after every disk. */
    public VerifyOptions withListener(Listener progress) {
        return new VerifyOptions(deep, restore, progress);
    }

    @Override
    public String toString() {
        return "VerifyOptions[deep=" + deep + "]";
    }
}
