package io.qcow2j.restore;

import io.qcow2j.core.RefusedException;

/**
 * The restore does not fit in the memory this JVM and its container allow: not even one worker's
 * buffers, or not the chain's metadata. Raised before the target is touched, with the numbers in
 * the message.
 */
public class InsufficientMemoryException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param target the target of the restore
     * @param reason the numbers: what is needed, what is free, the limits
     */
    public InsufficientMemoryException(String target, String reason) {
        super(target, null, -1, reason);
    }
}
