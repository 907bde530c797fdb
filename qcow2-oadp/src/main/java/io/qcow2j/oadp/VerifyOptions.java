package io.qcow2j.oadp;

import io.qcow2j.restore.RestoreOptions;
import java.util.Objects;

/**
 * How {@link BackupVerifier} runs.
 *
 * @param deep     also read every winning cluster (inflating compressed ones) through the restore's
 *                 pipeline, for the digest a restore will report
 * @param restore  the restore's options: how images are opened (corrupt images, backing base) and,
 *                 with {@code deep}, its workers and memory budget
 * @param listener told after every disk, for progress
 */
public record VerifyOptions(boolean deep, RestoreOptions restore, Listener listener) {

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

    public VerifyOptions {
        Objects.requireNonNull(restore, "restore");
        Objects.requireNonNull(listener, "listener");
    }

    /** Metadata only, default restore options, no progress. */
    public static VerifyOptions metadata() {
        return new VerifyOptions(false, RestoreOptions.builder().build(), Listener.NONE);
    }
}
