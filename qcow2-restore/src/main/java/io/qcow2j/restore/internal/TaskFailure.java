package io.qcow2j.restore.internal;

import java.io.IOException;

/** A failure of work on another thread, thrown again on the thread that waited for it, as it was. */
public final class TaskFailure {
    private TaskFailure() {
    }

    /**
     * Throws {@code t} when it is unchecked; otherwise returns it as an {@link IOException} (itself,
     * or wrapping another checked exception) for the caller to throw.
     */
    public static IOException rethrown(Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return t instanceof IOException io ? io : new IOException(t);
    }
}
