package io.qcow2j.s3;

/** The bucket or the object does not exist (HTTP 404, {@code NoSuchBucket} or {@code NoSuchKey}). */
public class ObjectNotFoundException extends ObjectStoreException {
    private static final long serialVersionUID = 1L;

    /** See {@link ObjectStoreException#ObjectStoreException}. */
    public ObjectNotFoundException(S3Location location, String structure, long offset, String reason,
                                   int httpStatus, String errorCode, Throwable cause) {
        super(location, structure, offset, reason, httpStatus, errorCode, cause);
    }
}
