package io.qcow2j.s3;

import io.qcow2j.core.internal.RetryLoop;
import io.qcow2j.core.remote.NetworkFailure;
import java.io.IOException;
import java.io.InterruptedIOException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * One failed attempt, classified: whether another attempt may succeed, and a one-line summary of the
 * SDK's error (HTTP status, S3 error code and message, or the network error) without its noise.
 */
final class Failure implements RetryLoop.Failure {
    enum Kind { NOT_FOUND, ACCESS_DENIED, CHANGED, INTERRUPTED, OTHER }

    final Kind kind;
    final boolean retryable;
    final int status;
    final String code;
    final String summary;
    final Throwable cause;

    private Failure(Kind kind, boolean retryable, int status, String code, String summary, Throwable cause) {
        this.kind = kind;
        this.retryable = retryable;
        this.status = status;
        this.code = code;
        this.summary = summary;
        this.cause = cause;
    }

    @Override
    public boolean interrupted() {
        return kind == Kind.INTERRUPTED;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }

    @Override
    public Throwable cause() {
        return cause;
    }

    /** A response body that ended before the requested range did: retried, never taken as zeros. */
    static final class ShortBodyException extends IOException {
        private static final long serialVersionUID = 1L;

        ShortBodyException(long received, long expected) {
            super("response body ended after " + received + " of " + expected + " bytes");
        }
    }

    /** A response that cannot be right whatever the retries (e.g. the server ignored the Range header). */
    static final class BadResponseException extends IOException {
        private static final long serialVersionUID = 1L;

        BadResponseException(String message) {
            super(message);
        }
    }

    /** A response from another version of the object than the one opened: never retried. */
    static final class ChangedException extends IOException {
        private static final long serialVersionUID = 1L;

        ChangedException(String message) {
            super(message);
        }
    }

    /** An attempt that outlived its deadline (a server trickling bytes): retried like a timeout. */
    static final class DeadlineException extends IOException {
        private static final long serialVersionUID = 1L;

        DeadlineException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static Failure of(Throwable t) {
        if (t instanceof SdkServiceException e) {
            return service(e);
        }
        if (t instanceof HttpStatusException e) {
            return status(e.status, blankToNull(e.code), blankToNull(e.errorMessage), e.bucketRegion, e);
        }
        // before the interrupt check: these are ours, or the SDK's timer, not a cancellation
        if (t instanceof ChangedException) {
            return new Failure(Kind.CHANGED, false, -1, null, oneLine(t.getMessage()), t);
        }
        if (t instanceof DeadlineException) {
            return new Failure(Kind.OTHER, true, -1, null, oneLine(t.getMessage()), t);
        }
        if (t instanceof ApiCallAttemptTimeoutException) { // the deadline, before the response came
            return new Failure(Kind.OTHER, true, -1, null, "no response within the request deadline: "
                    + oneLine(t.getMessage()), t);
        }
        // not every InterruptedIOException is an interrupt: timeouts (socket, connect, pool) are its subclasses
        if (t instanceof AbortedException || t instanceof InterruptedException
                || t.getClass() == InterruptedIOException.class || Thread.currentThread().isInterrupted()) {
            return new Failure(Kind.INTERRUPTED, false, -1, null, "interrupted", t);
        }
        if (t instanceof BadResponseException) {
            return new Failure(Kind.OTHER, false, -1, null, oneLine(t.getMessage()), t);
        }
        if (t instanceof ShortBodyException) {
            return new Failure(Kind.OTHER, true, -1, null, t.getMessage(), t);
        }
        // credentials that could not be had (STS unreachable or refusing): say so, not the network error inside
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SdkClientException && c.getMessage() != null
                    && c.getMessage().startsWith("Unable to load credentials")) {
                return new Failure(Kind.ACCESS_DENIED, false, -1, null, "no usable credentials: "
                        + oneLine(c.getMessage()), t);
            }
        }
        NetworkFailure network = NetworkFailure.in(t);
        if (network != null) {
            return new Failure(Kind.OTHER, network.retryable(), -1, null, network.summary(), t);
        }
        if (t instanceof SdkClientException) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (m.contains("no credentials")
                    || m.startsWith("Profile file contained no credentials")) {
                return new Failure(Kind.ACCESS_DENIED, false, -1, null, "no usable credentials: " + oneLine(m), t);
            }
            // e.g. a body that failed the SDK's own length check: another attempt may succeed
            return new Failure(Kind.OTHER, true, -1, null, oneLine(m), t);
        }
        return new Failure(Kind.OTHER, false, -1, null, NetworkFailure.describe(t), t);
    }

    private static Failure service(SdkServiceException e) {
        int status = e.statusCode();
        String code = null;
        String message = null;
        String region = null;
        if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            AwsErrorDetails d = aws.awsErrorDetails();
            code = blankToNull(d.errorCode());
            message = blankToNull(d.errorMessage());
            if (d.sdkHttpResponse() != null) {
                region = d.sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region").orElse(null);
            }
        }
        return status(status, code, message, region, e);
    }

    /** An HTTP error answer: its status, S3 code and message, and the region the bucket is in if it said. */
    private static Failure status(int status, String code, String message, String bucketRegion, Throwable e) {
        String regionHint = bucketRegion == null ? "" : " (the bucket is in region " + bucketRegion + ")";
        StringBuilder s = new StringBuilder("HTTP ").append(status);
        if (code != null) {
            s.append(' ').append(code);
        }
        if (message != null && !message.equals(code)) {
            s.append(": ").append(message);
        }
        s.append(regionHint);
        Kind kind = Kind.OTHER;
        if (status == 404 || "NoSuchKey".equals(code) || "NoSuchBucket".equals(code)) {
            kind = Kind.NOT_FOUND;
        } else if (status == 401 || status == 403) {
            kind = Kind.ACCESS_DENIED;
        } else if (status == 412) {
            kind = Kind.CHANGED;
        }
        // 501 NotImplemented (a feature the store lacks, e.g. SSE-C on S3Proxy) stays so
        boolean retryable = status >= 500 && status != 501 || status == 429 || status == 408
                || "SlowDown".equals(code) || "Throttling".equals(code) || "RequestTimeout".equals(code)
                || "InternalError".equals(code);
        return new Failure(kind, retryable, status, code, oneLine(s.toString()), e);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Newlines and runs of spaces folded, control characters escaped, cut: messages stay one line. */
    static String oneLine(String s) {
        return NetworkFailure.oneLine(s);
    }

}
