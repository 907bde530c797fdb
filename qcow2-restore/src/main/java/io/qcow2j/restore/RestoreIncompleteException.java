package io.qcow2j.restore;

import io.qcow2j.core.Qcow2Exception;

/**
 * The restore started writing and then stopped (I/O error, bad compressed data, cancellation):
 * the target holds a partial disk and must not be used.
 */
public class RestoreIncompleteException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    private final long guestOffset;

    public RestoreIncompleteException(String resource, long guestOffset, String reason, Throwable cause) {
        this(resource, guestOffset, reason + (guestOffset >= 0 ? " at guest offset " + guestOffset : "")
                + "; the target is incomplete", cause, true);
    }

    private RestoreIncompleteException(String resource, long guestOffset, String fullReason, Throwable cause,
            boolean built) {
        super(resource, null, -1, fullReason, cause);
        this.guestOffset = guestOffset;
    }

    /** The same failure with {@code context} (e.g. "PVC disk0") in front of the reason. */
    public RestoreIncompleteException withContext(String context) {
        return new RestoreIncompleteException(resource(), guestOffset, context + ": " + reason(), getCause(), true);
    }

    /** The guest offset being produced when the restore stopped, or -1 when unknown. */
    public long guestOffset() {
        return guestOffset;
    }
}
