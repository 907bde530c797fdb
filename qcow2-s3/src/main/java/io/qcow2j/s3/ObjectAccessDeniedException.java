package io.qcow2j.s3;

/**
 * The store refused the credentials or the request (HTTP 401/403: {@code AccessDenied},
 * {@code InvalidAccessKeyId}, {@code SignatureDoesNotMatch}, an expired token), or no credentials
 * could be found at all.
 */
public class ObjectAccessDeniedException extends ObjectStoreException {
    private static final long serialVersionUID = 1L;

    /** See {@link ObjectStoreException#ObjectStoreException}. */
    public ObjectAccessDeniedException(S3Location location, String structure, long offset, String reason,
                                       int httpStatus, String errorCode, Throwable cause) {
        super(location, structure, offset, reason, httpStatus, errorCode, cause);
    }
}
