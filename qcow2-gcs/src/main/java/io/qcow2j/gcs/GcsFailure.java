package io.qcow2j.gcs;

import com.google.api.client.googleapis.json.GoogleJsonError;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpResponseException;
import io.qcow2j.core.internal.RetryLoop;
import io.qcow2j.core.remote.NetworkFailure;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Locale;

/**
 * One failed attempt, classified: whether another may succeed, what kind of refusal it is, and one
 * line saying so (HTTP status and the JSON API's reason, or the network error).
 */
record GcsFailure(Kind kind, boolean retryable, int status, String code, String summary, Throwable cause)
        implements RetryLoop.Failure {
    @Override
    public boolean interrupted() {
        return kind == Kind.INTERRUPTED;
    }

    enum Kind { NOT_FOUND, BUCKET_NOT_FOUND, ACCESS_DENIED, CHANGED, INTERRUPTED, OTHER }

    /** Something wrong with a response that another attempt may not cure, or may (see {@link #retryable}). */
    static final class ResponseException extends IOException {
        private static final long serialVersionUID = 1L;
        private final Kind kind;
        private final boolean retryable;

        ResponseException(Kind kind, boolean retryable, String message) {
            super(message);
            this.kind = kind;
            this.retryable = retryable;
        }
    }

    /** No access token could be had for a request: the credentials file, the token endpoint, impersonation. */
    static final class CredentialsException extends IOException {
        private static final long serialVersionUID = 1L;

        CredentialsException(IOException cause) {
            super(cause);
        }
    }

    /** A body that ended before the range did: retried, never taken as zeros. */
    static ResponseException shortBody(long received, long expected) {
        return new ResponseException(Kind.OTHER, true, "response body ended after " + received + " of " + expected
                + " bytes");
    }

    static GcsFailure of(Throwable t) {
        if (t instanceof ResponseException r) {
            // its message quotes the server (Content-Range, generations): escaped, as every other summary
            return new GcsFailure(r.kind, r.retryable, -1, null, NetworkFailure.oneLine(r.getMessage()), t);
        }
        if (t instanceof CredentialsException c) {
            // a token endpoint out of reach may answer the next time; a refusal will not
            NetworkFailure network = NetworkFailure.find(c, HttpResponseException.class) == null
                    ? NetworkFailure.in(c.getCause()) : null;
            return new GcsFailure(Kind.ACCESS_DENIED, network != null && network.retryable(), -1, null,
                    "no usable credentials: " + NetworkFailure.oneLine(NetworkFailure.deepestMessage(c)), t);
        }
        if (t instanceof HttpResponseException e) {
            return http(e);
        }
        if (t instanceof InterruptedException || t.getClass() == InterruptedIOException.class
                || Thread.currentThread().isInterrupted()) {
            return new GcsFailure(Kind.INTERRUPTED, false, -1, null, "interrupted", t);
        }
        NetworkFailure network = NetworkFailure.in(t);
        if (network != null) {
            return new GcsFailure(Kind.OTHER, network.retryable(), -1, null, network.summary(), t);
        }
        return new GcsFailure(Kind.OTHER, false, -1, null, NetworkFailure.describe(t), t);
    }

    private static GcsFailure http(HttpResponseException e) {
        int status = e.getStatusCode();
        String code = null;
        String message = null;
        if (e instanceof GoogleJsonResponseException j && j.getDetails() != null) {
            GoogleJsonError d = j.getDetails();
            message = d.getMessage();
            if (d.getErrors() != null && !d.getErrors().isEmpty()) {
                code = d.getErrors().get(0).getReason();
            }
        }
        StringBuilder s = new StringBuilder("HTTP ").append(status);
        if (code != null && !code.isBlank()) {
            s.append(' ').append(code);
        } else {
            code = null;
        }
        // the JSON API says which is missing only in its message ("The specified bucket does not exist.")
        boolean bucket = status == 404 && message != null
                && message.toLowerCase(Locale.ROOT).contains("bucket does not exist");
        Kind kind = status == 404 ? (bucket ? Kind.BUCKET_NOT_FOUND : Kind.NOT_FOUND)
                : status == 401 || status == 403 ? Kind.ACCESS_DENIED : status == 412 ? Kind.CHANGED : Kind.OTHER;
        boolean retryable = status >= 500 && status != 501 || status == 429 || status == 408;
        return new GcsFailure(kind, retryable, status, code, NetworkFailure.oneLine(s.toString()), e);
    }

    /** This failure as the exception the caller sees, naming the object, the operation and the attempts. */
    GcsStoreException toException(GcsLocation location, String structure, long offset, String operation,
                                  int attempts) {
        String reason = operation + (attempts > 1 ? " failed after " + attempts + " attempts: " : ": ")
                + explain(location);
        return switch (kind) {
            case NOT_FOUND, BUCKET_NOT_FOUND -> new GcsStoreException.NotFound(location, structure, offset, reason,
                    status, code, kind == Kind.BUCKET_NOT_FOUND, cause);
            case ACCESS_DENIED ->
                    new GcsStoreException.AccessDenied(location, structure, offset, reason, status, code, cause);
            case CHANGED -> new GcsStoreException.Changed(location, structure, offset, reason, status, code, cause);
            default -> new GcsStoreException(location, structure, offset, reason, status, code, cause);
        };
    }

    private String explain(GcsLocation location) {
        return switch (kind) {
            case BUCKET_NOT_FOUND -> "bucket '" + location.bucket() + "' does not exist (" + summary + ")";
            case NOT_FOUND -> "no such object (" + summary + ")";
            case ACCESS_DENIED -> status > 0 ? "access denied: the credentials are not accepted (" + summary + ")"
                    : summary;
            case CHANGED -> status == 412 ? "the object changed since it was opened (" + summary + ")"
                    : summary + "; restore from a backup nobody writes to";
            default -> summary;
        };
    }
}
