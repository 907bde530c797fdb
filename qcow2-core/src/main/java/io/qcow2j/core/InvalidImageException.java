package io.qcow2j.core;

/**
 * The image's metadata is not valid qcow2, or (as {@link UnsupportedImageException}) uses a feature
 * qcow2j refuses. Found before any guest data is produced, so a restore that gets this has not
 * touched its target.
 */
public class InvalidImageException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the file or object the image is read from
     * @param structure the on-disk structure that is invalid, named as in the specification
     * @param offset    byte offset of the problem in the file, or -1
     * @param reason    what is wrong, with the numbers involved
     */
    public InvalidImageException(String resource, String structure, long offset, String reason) {
        super(resource, structure, offset, reason);
    }

    /** As {@link #InvalidImageException(String, String, long, String)}, with the underlying error. */
    public InvalidImageException(String resource, String structure, long offset, String reason, Throwable cause) {
        super(resource, structure, offset, reason, cause);
    }
}
