package io.qcow2j.s3;

import io.qcow2j.core.remote.RemoteStoreException;

/**
 * The object store could not give the bytes: a network or TLS failure, a server error that outlasted
 * the retries, a refused request. It says nothing about the image's contents, unlike
 * {@link io.qcow2j.core.InvalidImageException}; see {@link RemoteStoreException}. A caller reports "cannot read the backup", not
 * "corrupt backup". The message is one line naming {@code s3://bucket/key}, the operation (e.g.
 * {@code GET bytes=0-65535}), the offset where one applies, and the server's answer (HTTP status, S3
 * error code, message) or the network error; the SDK's exception, if any, is the cause.
 */
public class ObjectStoreException extends RemoteStoreException {
    private static final long serialVersionUID = 1L;

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
        super(location.toString(), structure, offset, reason, httpStatus, errorCode, cause);
    }
}
