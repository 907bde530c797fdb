package io.qcow2j.azure;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.storage.blob.models.BlobStorageException;
import io.qcow2j.core.internal.RetryLoop;
import io.qcow2j.core.remote.NetworkFailure;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeoutException;

/**
 * One failed attempt, classified: whether another may succeed, what kind of refusal it is, and one
 * line saying so (HTTP status and Azure error code, or the network error).
 */
record BlobFailure(Kind kind, boolean retryable, int status, String code, String summary, Throwable cause)
        implements RetryLoop.Failure {
    @Override
    public boolean interrupted() {
        return kind == Kind.INTERRUPTED;
    }

    enum Kind { NOT_FOUND, ACCESS_DENIED, CHANGED, INTERRUPTED, OTHER }

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

    /** A body that ended before the range did: retried, never taken as zeros. */
    static ResponseException shortBody(long received, long expected) {
        return new ResponseException(Kind.OTHER, true, "response body ended after " + received + " of " + expected
                + " bytes");
    }

    static BlobFailure of(Throwable t) {
        if (t instanceof ResponseException r) {
            // its message quotes the server (Content-Range, ETags): escaped, as every other summary
            return new BlobFailure(r.kind, r.retryable, -1, null, NetworkFailure.oneLine(r.getMessage()), t);
        }
        if (t instanceof HttpResponseException e && e.getResponse() != null) {
            return http(e);
        }
        if (t instanceof ClientAuthenticationException || NetworkFailure.find(t, ClientAuthenticationException.class)
                != null) {
            return new BlobFailure(Kind.ACCESS_DENIED, false, -1, null, "no usable credentials: "
                    + NetworkFailure.oneLine(NetworkFailure.deepestMessage(t)), t);
        }
        if (NetworkFailure.find(t, TimeoutException.class) != null) {
            return new BlobFailure(Kind.OTHER, true, -1, null, "no complete response within the request deadline",
                    t);
        }
        if (t instanceof InterruptedException || t.getClass() == InterruptedIOException.class
                || Thread.currentThread().isInterrupted()) {
            return new BlobFailure(Kind.INTERRUPTED, false, -1, null, "interrupted", t);
        }
        NetworkFailure network = NetworkFailure.in(t);
        if (network != null) {
            return new BlobFailure(Kind.OTHER, network.retryable(), -1, null, network.summary(), t);
        }
        return new BlobFailure(Kind.OTHER, false, -1, null, NetworkFailure.describe(t), t);
    }

    private static BlobFailure http(HttpResponseException e) {
        int status = e.getResponse().getStatusCode();
        String code = e instanceof BlobStorageException b && b.getErrorCode() != null ? b.getErrorCode().toString()
                : e.getResponse().getHeaderValue("x-ms-error-code");
        StringBuilder s = new StringBuilder("HTTP ").append(status);
        if (code != null && !code.isBlank()) {
            s.append(' ').append(code);
        } else {
            code = null;
        }
        Kind kind = status == 404 ? Kind.NOT_FOUND : status == 401 || status == 403 ? Kind.ACCESS_DENIED
                : status == 412 ? Kind.CHANGED : Kind.OTHER;
        boolean retryable = status >= 500 && status != 501 || status == 429 || status == 408;
        return new BlobFailure(kind, retryable, status, code, NetworkFailure.oneLine(s.toString()), e);
    }

    /** This failure as the exception the caller sees, naming the blob, the operation and the attempts. */
    BlobStoreException toException(BlobLocation location, String structure, long offset, String operation,
                                   int attempts) {
        String reason = operation + (attempts > 1 ? " failed after " + attempts + " attempts: " : ": ") + explain(location);
        return switch (kind) {
            case NOT_FOUND -> new BlobStoreException.NotFound(location, structure, offset, reason, status, code, cause);
            case ACCESS_DENIED ->
                    new BlobStoreException.AccessDenied(location, structure, offset, reason, status, code, cause);
            case CHANGED -> new BlobStoreException.Changed(location, structure, offset, reason, status, code, cause);
            default -> new BlobStoreException(location, structure, offset, reason, status, code, cause);
        };
    }

    private String explain(BlobLocation location) {
        if ("ContainerNotFound".equals(code)) {
            return "container '" + location.container() + "' does not exist (" + summary + ")";
        }
        if (kind == Kind.NOT_FOUND) {
            return "no such blob (" + summary + ")";
        }
        if (kind == Kind.ACCESS_DENIED && status > 0) {
            return "access denied: the account key or token is not accepted (" + summary + ")";
        }
        if (status == 412) {
            return "the blob changed since it was opened (" + summary + ")";
        }
        if (kind == Kind.CHANGED) {
            return summary + "; restore from a backup nobody writes to";
        }
        return summary;
    }
}
