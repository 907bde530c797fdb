package io.qcow2j.s3;

import io.qcow2j.core.SourceAccessException;

/**
 * The object store could not give the bytes: a network or TLS failure, a server error that outlasted
 * the retries, a refused request. It says nothing about the image's contents, unlike
 * {@link io.qcow2j.core.InvalidImageException}: a caller reports "cannot read the backup", not
 * "corrupt backup". The message is one line naming {@code s3://bucket/key}, the operation (e.g.
 * {@code GET bytes=0-65535}), the offset where one applies, and the server's answer (HTTP status, S3
 * error code, message) or the network error; the SDK's exception, if any, is the cause.
 */
public class ObjectStoreException extends SourceAccessException {
    private static final long serialVersionUID = 1L;

    /** HTTP status of the last response, or -1 when none came (network or TLS failure). */
    private final int httpStatus;
    /** S3 error code of the last response (e.g. {@code SlowDown}), or null. */
    private final String errorCode;

    /**
     * @param location   the object
     * @param structure  what was being read (e.g. {@code "L2 table"}), or null
     * @param offset     the first byte of the failed read, or -1
     * @param reason     the operation and what went wrong, one line
     * @param httpStatus the last HTTP status, or -1
     * @param errorCode  the last S3 error code, or null
     * @param cause      the SDK's exception, or null
     */
    public ObjectStoreException(S3Location location, String structure, long offset, String reason,
                                int httpStatus, String errorCode, Throwable cause) {
        super(location.toString(), structure, offset, reason, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** HTTP status of the last response, or -1 when none came. */
    public int httpStatus() {
        return httpStatus;
    }

    /** S3 error code of the last response (e.g. {@code NoSuchKey}), or null. */
    public String errorCode() {
        return errorCode;
    }
}
