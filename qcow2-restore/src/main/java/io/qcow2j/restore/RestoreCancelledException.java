package io.qcow2j.restore;

/**
 * The restore stopped because it was asked to ({@link Restore#cancel()}, an interrupt of the thread
 * running it, a signal); {@link #targetState()} says what it left at the target path.
 */
public class RestoreCancelledException extends RestoreIncompleteException {
    private static final long serialVersionUID = 1L;

    /**
     * @param target      the target's name
     * @param guestOffset where the restore stopped, or -1 when unknown
     * @param reason      what stopped it
     * @param targetState what the target path holds now
     */
    public RestoreCancelledException(String target, long guestOffset, String reason, Throwable cause,
                                     TargetState targetState) {
        super(target, guestOffset, reason, cause, targetState);
    }

    private RestoreCancelledException(RestoreCancelledException e, String fullReason) {
        super(e, fullReason);
    }

    @Override
    public RestoreCancelledException withContext(String context) {
        return new RestoreCancelledException(this, context + ": " + reason());
    }
}
