package io.qcow2j.s3;

import java.io.IOException;

/** An HTTP error answer to one of our own GETs, with the S3 error code and message of its body. */
final class HttpStatusException extends IOException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;
    final String errorMessage;
    final String bucketRegion;

    HttpStatusException(int status, String code, String errorMessage, String bucketRegion) {
        super("HTTP " + status);
        this.status = status;
        this.code = code;
        this.errorMessage = errorMessage;
        this.bucketRegion = bucketRegion;
    }
}
