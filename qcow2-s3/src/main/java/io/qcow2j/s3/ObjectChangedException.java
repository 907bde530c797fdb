package io.qcow2j.s3;

/**
 * The object is not the one that was opened: a ranged response carried another entity tag or total
 * size than the opening HEAD, or the server refused the read's {@code If-Match} (HTTP 412). Not
 * retried: the bytes would come from another version, and a disk mixing two versions is worse than
 * no disk.
 */
public class ObjectChangedException extends ObjectStoreException {
    private static final long serialVersionUID = 1L;

    /** See {@link ObjectStoreException#ObjectStoreException}. */
    public ObjectChangedException(S3Location location, String structure, long offset, String reason,
                                  int httpStatus, String errorCode, Throwable cause) {
        super(location, structure, offset, reason, httpStatus, errorCode, cause);
    }
}
