package io.qcow2j.oadp;

import io.qcow2j.core.RefusedException;

/**
 * The downloaded OADP backup layout (manifest, checkpoint index, checkpoint files) is missing,
 * malformed or inconsistent with the restore request. It is always raised while planning, before
 * any target is opened, so a caller that gets it knows no target was touched (the CLI maps it to
 * exit status 3, "invalid image or chain").
 *
 * <p>The {@linkplain #resource() resource} is the file the problem was found in (a manifest, the
 * index, or a checkpoint's image file), the {@linkplain #structure() structure} names the part of
 * it (for example {@code "index"} or {@code "checkpoint cp-002"}); the offset is always -1 because
 * JSON positions are given as line and column in the reason instead.
 */
public class InvalidBackupLayoutException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the file involved, or null when the problem is not tied to one file
     * @param structure the part of the layout involved (e.g. {@code "checkpoint cp-002"}), or null
     * @param reason    a one-line human explanation naming the checkpoint, PVC and file involved
     */
    public InvalidBackupLayoutException(String resource, String structure, String reason) {
        super(resource, structure, -1, reason);
    }

    /** As {@link #InvalidBackupLayoutException(String, String, String)}, keeping the underlying cause. */
    public InvalidBackupLayoutException(String resource, String structure, String reason, Throwable cause) {
        super(resource, structure, -1, reason, cause);
    }
}
