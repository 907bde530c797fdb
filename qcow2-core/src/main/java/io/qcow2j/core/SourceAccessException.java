package io.qcow2j.core;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;

/**
 * An image's bytes could not be read: the file is missing, not a file, not readable, or a read
 * failed (an I/O error, a vanished file, an object store that does not answer). Nothing is known
 * to be wrong with the image itself; {@link #resource()} names the file or object. Raised while
 * opening or validating, the target of a restore is untouched.
 */
public class SourceAccessException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the file or object
     * @param structure what was being read, or null
     * @param offset    where, or -1
     * @param reason    what went wrong, one line
     * @param cause     the underlying error, or null
     */
    public SourceAccessException(String resource, String structure, long offset, String reason, Throwable cause) {
        super(resource, structure, offset, reason, cause);
    }

    /**
     * {@code e}, raised reading {@code structure} of {@code resource} at {@code offset}, as an
     * error that names the source: {@code e} itself when it is a {@link Qcow2Exception} (it names
     * its resource already) or an interrupt (a cancellation, not a failing source), else a
     * {@code SourceAccessException} with {@code e} as its cause. A source closed under the read (a
     * chain closed while a restore reads it) is said so, not reported as a reason-less error.
     */
    public static IOException reading(String resource, String structure, long offset, IOException e) {
        if (e instanceof Qcow2Exception || e instanceof InterruptedIOException
                || e instanceof ClosedByInterruptException) {
            return e;
        }
        String why = e instanceof ClosedChannelException ? "the source was closed while it was being read ("
                + e.getClass().getSimpleName() + ")"
                : "read failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        return new SourceAccessException(resource, structure, offset, why, e);
    }
}
