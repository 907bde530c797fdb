package io.qcow2j.core.remote;

import io.qcow2j.core.internal.PrintableText;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * What went wrong below HTTP (TLS, name lookup, the connection), told the same way for every
 * object store: whether another attempt may succeed, and one line saying why.
 *
 * @param retryable whether another attempt may succeed (a reset may pass; a bad certificate or an
 *                  unknown host will not)
 * @param summary   one line, e.g. {@code cannot connect: Connection refused}
 */
public record NetworkFailure(boolean retryable, String summary) {
    private static final int MAX_TEXT = 240;

    /** The network failure in {@code t}'s causes, or null when there is none. */
    public static NetworkFailure in(Throwable t) {
        SSLException ssl = find(t, SSLException.class);
        if (ssl != null) {
            // a certificate or protocol mismatch fails the same way every time; a reset mid-stream does not
            boolean handshake = ssl instanceof SSLHandshakeException || find(t, CertificateException.class) != null
                    || find(t, CertPathValidatorException.class) != null;
            return new NetworkFailure(!handshake,
                    (handshake ? "TLS handshake failed: " : "TLS error: ") + oneLine(deepestMessage(ssl)));
        }
        UnknownHostException unknown = find(t, UnknownHostException.class);
        if (unknown != null) {
            return new NetworkFailure(false, "unknown host " + oneLine(unknown.getMessage()));
        }
        IOException io = find(t, IOException.class);
        if (io != null) {
            String what = io instanceof ConnectException || io instanceof NoRouteToHostException ? "cannot connect: "
                    : io instanceof SocketTimeoutException ? "timed out: " : "";
            return new NetworkFailure(true, what + describe(io));
        }
        return null;
    }

    /** The first of {@code t} and its causes that is a {@code type}, or null. */
    public static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The message of the deepest cause that has one. */
    public static String deepestMessage(Throwable t) {
        String m = t.getMessage();
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null) {
                m = c.getMessage();
            }
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /** {@code SimpleClassName: message}, on one line. */
    public static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + oneLine(t.getMessage()));
    }

    /** Newlines and runs of spaces folded, control characters escaped, cut: messages stay one line. */
    public static String oneLine(String s) {
        return PrintableText.message(s, MAX_TEXT);
    }
}
