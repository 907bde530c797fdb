package io.qcow2j.gcs;

import io.qcow2j.core.remote.RemoteStoreException;

/**
 * Cloud Storage could not give the bytes: a network or TLS failure, a server error that outlasted
 * the retries, a refused request. The message is one line naming {@code gs://bucket/object}, the
 * operation (e.g. {@code GET bytes=0-65535}), the offset where one applies, and the server's answer
 * (HTTP status and reason) or the network error; the client's exception, if any, is the cause.
 */
public class GcsStoreException extends RemoteStoreException {
    private static final long serialVersionUID = 1L;

    /** See {@link RemoteStoreException#RemoteStoreException}, for {@code location}. */
    public GcsStoreException(GcsLocation location, String structure, long offset, String reason, int httpStatus,
                             String errorCode, Throwable cause) {
        super(location.toString(), structure, offset, reason, httpStatus, errorCode, cause);
    }

    /** The bucket or the object does not exist (HTTP 404). */
    public static class NotFound extends GcsStoreException {
        private static final long serialVersionUID = 1L;
        private final boolean bucketMissing;

        NotFound(GcsLocation location, String structure, long offset, String reason, int httpStatus, String errorCode,
                 boolean bucketMissing, Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
            this.bucketMissing = bucketMissing;
        }

        /** Whether the bucket itself is missing, not only the object. */
        public boolean bucketMissing() {
            return bucketMissing;
        }
    }

    /** The credentials were refused or could not be had (HTTP 401/403, no token). */
    public static class AccessDenied extends GcsStoreException {
        private static final long serialVersionUID = 1L;

        AccessDenied(GcsLocation location, String structure, long offset, String reason, int httpStatus,
                     String errorCode, Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
        }
    }

    /**
     * The object is not the one opened: {@code ifGenerationMatch} refused (HTTP 412) or a response
     * with another generation or size. Never retried: a disk mixing two versions is worse than no disk.
     */
    public static class Changed extends GcsStoreException {
        private static final long serialVersionUID = 1L;

        Changed(GcsLocation location, String structure, long offset, String reason, int httpStatus, String errorCode,
                Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
        }
    }
}
