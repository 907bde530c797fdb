package io.qcow2j.restore.internal.pipeline;

import java.io.IOException;

/**
 * A run stopped after it may have written: the sink holds a partial disk. The restore's API turns
 * it into its own exception; the message is the reason without the target's name.
 */
public final class PipelineException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long guestOffset;
    private final boolean cancelled;

    PipelineException(long guestOffset, String reason, Throwable cause, boolean cancelled) {
        super(reason, cause);
        this.guestOffset = guestOffset;
        this.cancelled = cancelled;
    }

    /** The guest offset being produced when the run stopped, or -1 when unknown. */
    public long guestOffset() {
        return guestOffset;
    }

    /** True when the run stopped because it was asked to (cancel, interrupt), not because of an error. */
    public boolean cancelled() {
        return cancelled;
    }
}
