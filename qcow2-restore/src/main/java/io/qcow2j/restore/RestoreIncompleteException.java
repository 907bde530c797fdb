package io.qcow2j.restore;

import io.qcow2j.core.Qcow2Exception;

/**
 * The restore started writing and then stopped (I/O error, bad compressed data, cancellation).
 * {@link #targetState()} says what that left at the target path: a partial disk written in place
 * (must not be used), or, for a staged file, nothing changed. {@link #guestOffset()} says where.
 *
 * <p>The cause tells what failed: a {@link io.qcow2j.core.SourceAccessException} (or another
 * {@link io.qcow2j.core.RefusedException}) names the image that could not be read and the file
 * offset; a {@link io.qcow2j.restore.target.WriteFailedException} is the target failing; a
 * {@link io.qcow2j.core.CorruptDataException} is data that does not decompress.
 */
public class RestoreIncompleteException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    private final long guestOffset;
    private final TargetState targetState;

    /** As {@link #RestoreIncompleteException(String, long, String, Throwable, TargetState)}, written in place. */
    public RestoreIncompleteException(String target, long guestOffset, String reason, Throwable cause) {
        this(target, guestOffset, reason, cause, TargetState.PARTIALLY_WRITTEN);
    }

    /**
     * @param target      the target's name
     * @param guestOffset the guest offset being produced when the restore stopped, or -1
     * @param reason      why it stopped, one line
     * @param cause       the underlying error, or null
     * @param targetState what the target path holds now
     */
    public RestoreIncompleteException(String target, long guestOffset, String reason, Throwable cause,
                                      TargetState targetState) {
        super(target, null, -1, reason + (guestOffset >= 0 ? " at guest offset " + guestOffset : "")
                + "; " + targetState.description(), cause);
        this.guestOffset = guestOffset;
        this.targetState = targetState;
    }

    /** A copy with another reason: see {@link #withContext}. */
    protected RestoreIncompleteException(RestoreIncompleteException e, String fullReason) {
        super(e.resource(), null, -1, fullReason, e.getCause());
        this.guestOffset = e.guestOffset;
        this.targetState = e.targetState;
    }

    /** The same failure (of the same class) with {@code context} (e.g. "PVC disk0") in front of the reason. */
    public RestoreIncompleteException withContext(String context) {
        return new RestoreIncompleteException(this, context + ": " + reason());
    }

    /** What the target path holds now. */
    public TargetState targetState() {
        return targetState;
    }

    /** The guest offset being produced when the restore stopped, or -1 when unknown. */
    public long guestOffset() {
        return guestOffset;
    }
}
