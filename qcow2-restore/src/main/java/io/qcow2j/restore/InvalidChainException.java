package io.qcow2j.restore;

import io.qcow2j.core.RefusedException;

/**
 * The images, each valid on its own, do not form a chain qcow2j will restore (a file given twice,
 * no image at all). Raised before the target is touched.
 */
public class InvalidChainException extends RefusedException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource the image (or other resource) the problem is found at
     * @param reason   what is wrong, one line
     */
    public InvalidChainException(String resource, String reason) {
        super(resource, null, -1, reason);
    }
}
