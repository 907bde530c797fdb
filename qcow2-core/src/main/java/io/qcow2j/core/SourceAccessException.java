package io.qcow2j.core;

/**
 * An image's bytes could not be read: the file is missing, not a file, not readable, or a read
 * failed (an I/O error, a vanished file, an object store that does not answer). Nothing is known
 * to be wrong with the image itself; {@link #resource()} names the file or object. Raised while
 * opening or validating, the target of a restore is untouched.
 */
public class SourceAccessException extends Qcow2Exception {
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
}
