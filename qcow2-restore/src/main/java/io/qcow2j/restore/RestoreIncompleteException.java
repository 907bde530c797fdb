package io.qcow2j.restore;

import io.qcow2j.core.Qcow2Exception;

/**
 * The restore started writing and then stopped (I/O error, bad compressed data, cancellation):
 * the target holds a partial disk and must not be used. {@link #guestOffset()} says where.
 */
public class RestoreIncompleteException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    private final long guestOffset;

    /**
     * @param target      the target's name
     * @param guestOffset the guest offset being produced when the restore stopped, or -1
     * @param reason      why it stopped, one line
     * @param cause       the underlying error, or null
     */
    public RestoreIncompleteException(String target, long guestOffset, String reason, Throwable cause) {
        super(target, null, -1, reason + (guestOffset >= 0 ? " at guest offset " + guestOffset : "")
                + "; the target is incomplete", cause);
        this.guestOffset = guestOffset;
    }

    private RestoreIncompleteException(String target, long guestOffset, Throwable cause, String fullReason) {
        super(target, null, -1, fullReason, cause);
        this.guestOffset = guestOffset;
    }

    /** The same failure with {@code context} (e.g. "PVC disk0") in front of the reason. */
    public RestoreIncompleteException withContext(String context) {
        return new RestoreIncompleteException(resource(), guestOffset, getCause(), context + ": " + reason());
    }

    /** The guest offset being produced when the restore stopped, or -1 when unknown. */
    public long guestOffset() {
        return guestOffset;
    }
}
