package io.qcow2j.core;

/**
 * The image's metadata is not valid qcow2, or (as {@link UnsupportedImageException}) uses a feature
 * qcow2j refuses. Found before any guest data is produced, so a restore that gets this has not
 * touched its target.
 */
public class InvalidImageException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    public InvalidImageException(String resource, String structure, long offset, String reason) {
        super(resource, structure, offset, reason);
    }

    public InvalidImageException(String resource, String structure, long offset, String reason, Throwable cause) {
        super(resource, structure, offset, reason, cause);
    }
}
