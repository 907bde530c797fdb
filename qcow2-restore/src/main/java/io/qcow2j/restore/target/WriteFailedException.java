package io.qcow2j.restore.target;

import java.io.IOException;

/**
 * A write to a {@link Sink} failed; {@link #position()} is the first byte not written, which a
 * restore reports as the guest offset where it stopped (a full disk fails in the middle of a
 * buffer).
 */
public final class WriteFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final long position;

    /**
     * @param position the first byte not written
     * @param cause    the error of the write
     */
    public WriteFailedException(long position, IOException cause) {
        super(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName(), cause);
        this.position = position;
    }

    /** The first byte that was not written. */
    public long position() {
        return position;
    }
}
