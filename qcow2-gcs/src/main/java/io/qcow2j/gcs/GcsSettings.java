package io.qcow2j.gcs;

import io.qcow2j.core.remote.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where Cloud Storage is and how to talk to it. Immutable: {@link #of} gives the defaults (the same
 * as qcow2-s3's: 5 attempts, backoff 100 ms to 5 s, 32 reads in flight, a deadline of 60 s plus
 * 32 KiB/s per request), the {@code with...} methods change one setting. A final class rather than
 * a record, so that settings can be added without breaking callers.
 */
public final class GcsSettings {
    /** Google's endpoint for the JSON API. */
    public static final URI GOOGLE = URI.create("https://storage.googleapis.com");

    private final URI endpoint;
    private final GcsCredentials credentials;
    private final String impersonate;
    private final RetryPolicy retry;
    private final int maxConnections;
    private final Duration deadlineBase;
    private final long deadlineBytesPerSecond;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private GcsSettings(URI endpoint, GcsCredentials credentials, String impersonate, RetryPolicy retry,
                        int maxConnections, Duration deadlineBase, long deadlineBytesPerSecond,
                        Duration connectTimeout, Duration readTimeout) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!"https".equalsIgnoreCase(endpoint.getScheme()) && !"http".equalsIgnoreCase(endpoint.getScheme())
                || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Cloud Storage endpoint '" + endpoint
                    + "' must be http://host[:port] or https://host[:port]");
        }
        if (maxConnections < 1 || deadlineBytesPerSecond < 1) {
            throw new IllegalArgumentException("maxConnections and deadlineBytesPerSecond must be at least 1");
        }
        this.endpoint = endpoint;
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.impersonate = impersonate == null || impersonate.isBlank() ? null : impersonate;
        this.retry = Objects.requireNonNull(retry, "retry");
        this.maxConnections = maxConnections;
        this.deadlineBase = Objects.requireNonNull(deadlineBase, "deadlineBase");
        this.deadlineBytesPerSecond = deadlineBytesPerSecond;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.readTimeout = Objects.requireNonNull(readTimeout, "readTimeout");
    }

    /**
     * The defaults for {@code credentials} at {@code endpoint}, no impersonation.
     *
     * @param endpoint the JSON API's root: {@link #GOOGLE}, or an emulator's {@code http://127.0.0.1:9199}
     * @throws IllegalArgumentException for an endpoint that is not http(s)://host[:port]
     */
    public static GcsSettings of(URI endpoint, GcsCredentials credentials) {
        return new GcsSettings(endpoint, credentials, null,
                new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(5)), 32, Duration.ofSeconds(60),
                32 << 10, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /** The JSON API's root. */
    public URI endpoint() {
        return endpoint;
    }

    /** How requests are authorised. */
    public GcsCredentials credentials() {
        return credentials;
    }

    /** The service account (its e-mail address) impersonated with the credentials, or null. */
    public String impersonate() {
        return impersonate;
    }

    /** Attempts and backoff for every request, bodies included. */
    public RetryPolicy retry() {
        return retry;
    }

    /** Reads in flight at once. */
    public int maxConnections() {
        return maxConnections;
    }

    /** The fixed part of each request's deadline. */
    public Duration deadlineBase() {
        return deadlineBase;
    }

    /** The slowest transfer rate a request's deadline allows. */
    public long deadlineBytesPerSecond() {
        return deadlineBytesPerSecond;
    }

    /** TCP connect timeout. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** The longest silence within a response. */
    public Duration readTimeout() {
        return readTimeout;
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

    @Override
    public String toString() {
        return "GcsSettings[endpoint=" + endpoint + ", credentials=" + credentials + ", impersonate=" + impersonate
                + ", maxConnections=" + maxConnections + "]";
    }
}
