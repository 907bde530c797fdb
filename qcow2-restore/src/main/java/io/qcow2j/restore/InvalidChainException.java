package io.qcow2j.restore;

import io.qcow2j.core.Qcow2Exception;

/**
 * The images do not form a chain qcow2j will restore (a file twice, a target too small, ...).
 * Raised before the target is touched.
 */
public class InvalidChainException extends Qcow2Exception {
    private static final long serialVersionUID = 1L;

    public InvalidChainException(String resource, String reason) {
        super(resource, null, -1, reason);
    }
}
