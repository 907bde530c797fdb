package io.qcow2j.restore;

/**
 * The restore stopped because it was asked to ({@link Restore#cancel()}, an interrupt of the thread
 * running it, a signal): the target holds a partial disk and must not be used.
 */
public class RestoreCancelledException extends RestoreIncompleteException {
    private static final long serialVersionUID = 1L;

    /**
     * @param target      the target's name
     * @param guestOffset where the restore stopped, or -1 when unknown
     * @param reason      what stopped it
     */
    public RestoreCancelledException(String target, long guestOffset, String reason, Throwable cause) {
        super(target, guestOffset, reason, cause);
    }
}
