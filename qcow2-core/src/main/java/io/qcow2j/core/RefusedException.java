package io.qcow2j.core;

/**
 * qcow2j refused the work before producing anything: the input (an image, a chain, a backup
 * layout), the environment (memory, a native library) or the target does not allow it, or an image
 * could not be read. Thrown by an operation that writes (a restore), it means nothing was written:
 * the target is untouched. As the cause of an error raised later (a restore that stopped after
 * writing began) it says what stopped it.
 *
 * <p>Every subclass names where the problem is: {@link #resource()}, {@link #structure()},
 * {@link #offset()}.
 */
public class RefusedException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the file, object or target the problem was found in, or null
     * @param structure the structure involved, or null
     * @param offset    byte offset of the problem in the resource, or -1
     * @param reason    what is wrong, with the numbers involved
     */
    public RefusedException(String resource, String structure, long offset, String reason) {
        super(resource, structure, offset, reason);
    }

    /** As {@link #RefusedException(String, String, long, String)}, with the underlying error. */
    public RefusedException(String resource, String structure, long offset, String reason, Throwable cause) {
        super(resource, structure, offset, reason, cause);
    }
}
