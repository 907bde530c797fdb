package io.qcow2j.core.remote;

import io.qcow2j.core.SourceAccessException;

/**
 * An object store could not give the bytes: a network or TLS failure, a server error that outlasted
 * the retries, a refused request. It says nothing about the image's contents: a caller reports
 * "cannot read the backup", not "corrupt backup". The store modules subclass it with their names.
 */
public class RemoteStoreException extends SourceAccessException {
    private static final long serialVersionUID = 1L;

    /** HTTP status of the last response, or -1 when none came (network or TLS failure). */
    private final int httpStatus;
    /** The store's error code of the last response (e.g. {@code SlowDown}, {@code BlobNotFound}), or null. */
    private final String errorCode;

    /**
     * @param resource   the object, e.g. {@code s3://bucket/key}
     * @param structure  what was being read (e.g. {@code "L2 table"}), or null
     * @param offset     the first byte of the failed read, or -1
     * @param reason     the operation and what went wrong, one line
     * @param httpStatus the last HTTP status, or -1
     * @param errorCode  the store's last error code, or null
     * @param cause      the SDK's exception, or null
     */
    public RemoteStoreException(String resource, String structure, long offset, String reason, int httpStatus,
                                String errorCode, Throwable cause) {
        super(resource, structure, offset, reason, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** HTTP status of the last response, or -1 when none came. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The store's error code of the last response, or null. */
    public String errorCode() {
        return errorCode;
    }
}
