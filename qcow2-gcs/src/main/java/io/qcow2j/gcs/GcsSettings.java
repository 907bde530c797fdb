package io.qcow2j.gcs;

import io.qcow2j.core.remote.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where Cloud Storage is and how to talk to it. Immutable; {@link #of} gives the defaults (the same
 * as qcow2-s3's: 5 attempts, backoff 100 ms to 5 s, 32 reads in flight, a deadline of 60 s plus
 * 32 KiB/s per request).
 *
 * @param endpoint               the JSON API's root, {@code https://storage.googleapis.com} or an
 *                               emulator's {@code http://127.0.0.1:9199}
 * @param credentials            how requests are authorised
 * @param impersonate            a service account to impersonate with those credentials (its e-mail
 *                               address), or null
 * @param retry                  attempts and backoff for every request, bodies included
 * @param maxConnections         reads in flight at once
 * @param deadlineBase           the fixed part of each request's deadline
 * @param deadlineBytesPerSecond the slowest transfer rate a request's deadline allows
 * @param connectTimeout         TCP connect timeout
 * @param readTimeout            the longest silence within a response
 */
public record GcsSettings(URI endpoint, GcsCredentials credentials, String impersonate, RetryPolicy retry,
                          int maxConnections, Duration deadlineBase, long deadlineBytesPerSecond,
                          Duration connectTimeout, Duration readTimeout) {
    /** Google's endpoint for the JSON API. */
    public static final URI GOOGLE = URI.create("https://storage.googleapis.com");

    /** @throws IllegalArgumentException for an endpoint that is not http(s), or bad limits */
    public GcsSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retry, "retry");
        if (!"https".equalsIgnoreCase(endpoint.getScheme()) && !"http".equalsIgnoreCase(endpoint.getScheme())
                || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Cloud Storage endpoint '" + endpoint
                    + "' must be http://host[:port] or https://host[:port]");
        }
        if (impersonate != null && impersonate.isBlank()) {
            impersonate = null;
        }
        if (maxConnections < 1 || deadlineBytesPerSecond < 1) {
            throw new IllegalArgumentException("maxConnections and deadlineBytesPerSecond must be at least 1");
        }
    }

    /** The defaults for {@code credentials} at {@code endpoint}, no impersonation. */
    public static GcsSettings of(URI endpoint, GcsCredentials credentials) {
        return new GcsSettings(endpoint, credentials, null,
                new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(5)), 32, Duration.ofSeconds(60),
                32 << 10, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /** These settings impersonating {@code serviceAccount} (null: none). */
    public GcsSettings withImpersonation(String serviceAccount) {
        return new GcsSettings(endpoint, credentials, serviceAccount, retry, maxConnections, deadlineBase,
                deadlineBytesPerSecond, connectTimeout, readTimeout);
    }

    /** These settings with another retry policy. */
    public GcsSettings withRetry(RetryPolicy policy) {
        return new GcsSettings(endpoint, credentials, impersonate, policy, maxConnections, deadlineBase,
                deadlineBytesPerSecond, connectTimeout, readTimeout);
    }

    /** These settings with another ceiling on reads in flight ({@code --max-requests}). */
    public GcsSettings withMaxConnections(int max) {
        return new GcsSettings(endpoint, credentials, impersonate, retry, max, deadlineBase, deadlineBytesPerSecond,
                connectTimeout, readTimeout);
    }

    /** These settings with another deadline and read timeout (tests of trickling servers). */
    public GcsSettings withTimeouts(Duration base, long bytesPerSecond, Duration read) {
        return new GcsSettings(endpoint, credentials, impersonate, retry, maxConnections, base, bytesPerSecond,
                connectTimeout, read);
    }

    /** The longest one attempt at a request of {@code bytes} may take, headers and body. */
    public Duration requestDeadline(long bytes) {
        return deadlineBase.plusNanos((long) Math.min(Long.MAX_VALUE / 4.0, bytes * 1e9 / deadlineBytesPerSecond));
    }
}
