package io.qcow2j.restore.target;

import io.qcow2j.core.RefusedException;

/**
 * The target cannot take the restored disk (a directory, a device too small, a missing parent
 * directory, a file system that refuses {@code O_DIRECT}, one of the chain's own images). Raised
 * before anything is written: the target is untouched (a new file is not left behind).
 */
public class InvalidTargetException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param target the target path as given
     * @param reason what is wrong with it, one line
     */
    public InvalidTargetException(String target, String reason) {
        super(target, null, -1, reason);
    }

    /** As {@link #InvalidTargetException(String, String)}, keeping the underlying cause. */
    public InvalidTargetException(String target, String reason, Throwable cause) {
        super(target, null, -1, reason, cause);
    }
}
