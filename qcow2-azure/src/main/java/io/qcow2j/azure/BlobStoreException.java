package io.qcow2j.azure;

import io.qcow2j.core.remote.RemoteStoreException;

/**
 * Blob Storage could not give the bytes: a network or TLS failure, a server error that outlasted
 * the retries, a refused request. The message is one line naming {@code az://container/blob}, the
 * operation (e.g. {@code GET bytes=0-65535}), the offset where one applies, and the server's answer
 * (HTTP status, Azure error code) or the network error; the SDK's exception, if any, is the cause.
 */
public class BlobStoreException extends RemoteStoreException {
    private static final long serialVersionUID = 1L;

    /** See {@link RemoteStoreException#RemoteStoreException}, for {@code location}. */
    public BlobStoreException(BlobLocation location, String structure, long offset, String reason, int httpStatus,
                              String errorCode, Throwable cause) {
        super(location.toString(), structure, offset, reason, httpStatus, errorCode, cause);
    }

    /** The container or the blob does not exist (HTTP 404). */
    public static class NotFound extends BlobStoreException {
        private static final long serialVersionUID = 1L;

        NotFound(BlobLocation location, String structure, long offset, String reason, int httpStatus, String errorCode,
                 Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
        }

        /** Whether the container itself is missing, not only the blob. */
        public boolean containerMissing() {
            return "ContainerNotFound".equals(errorCode());
        }
    }

    /** The credentials were refused or could not be had (HTTP 401/403, no token). */
    public static class AccessDenied extends BlobStoreException {
        private static final long serialVersionUID = 1L;

        AccessDenied(BlobLocation location, String structure, long offset, String reason, int httpStatus,
                     String errorCode, Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
        }
    }

    /**
     * The blob is not the one opened: {@code If-Match} refused (HTTP 412) or a response with another
     * ETag or size. Never retried: a disk mixing two versions is worse than no disk.
     */
    public static class Changed extends BlobStoreException {
        private static final long serialVersionUID = 1L;

        Changed(BlobLocation location, String structure, long offset, String reason, int httpStatus, String errorCode,
                Throwable cause) {
            super(location, structure, offset, reason, httpStatus, errorCode, cause);
        }
    }
}
