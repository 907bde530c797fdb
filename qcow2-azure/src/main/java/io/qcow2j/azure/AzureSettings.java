package io.qcow2j.azure;

import io.qcow2j.core.remote.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a storage account is and how to talk to it. Immutable: {@link #of} gives the defaults (the
 * same as qcow2-s3's: 5 attempts, backoff 100 ms to 5 s, 32 reads in flight, a deadline of 60 s
 * plus 32 KiB/s per request), the {@code with...} methods change one setting. A final class rather
 * than a record, so that settings can be added without breaking callers.
 */
public final class AzureSettings {
    private final URI endpoint;
    private final AzureCredentials credentials;
    private final RetryPolicy retry;
    private final int maxConnections;
    private final Duration deadlineBase;
    private final long deadlineBytesPerSecond;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private AzureSettings(URI endpoint, AzureCredentials credentials, RetryPolicy retry, int maxConnections,
                          Duration deadlineBase, long deadlineBytesPerSecond, Duration connectTimeout,
                          Duration readTimeout) {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retry, "retry");
        if (endpoint == null && !(credentials instanceof AzureCredentials.ConnectionString)) {
            if (!(credentials instanceof AzureCredentials.SharedKey k)) {
                throw new IllegalArgumentException("no storage account endpoint for " + credentials);
            }
            endpoint = URI.create("https://" + k.account() + ".blob.core.windows.net");
        }
        if (endpoint != null && !"https".equalsIgnoreCase(endpoint.getScheme())
                && !"http".equalsIgnoreCase(endpoint.getScheme())) {
            throw new IllegalArgumentException("storage account endpoint '" + endpoint
                    + "' must start with http:// or https://");
        }
        if (maxConnections < 1 || deadlineBytesPerSecond < 1) {
            throw new IllegalArgumentException("maxConnections and deadlineBytesPerSecond must be at least 1");
        }
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.retry = retry;
        this.maxConnections = maxConnections;
        this.deadlineBase = Objects.requireNonNull(deadlineBase, "deadlineBase");
        this.deadlineBytesPerSecond = deadlineBytesPerSecond;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.readTimeout = Objects.requireNonNull(readTimeout, "readTimeout");
    }

    /**
     * The account's blob endpoint (e.g. {@code https://acct.blob.core.windows.net}, or Azurite's
     * {@code http://127.0.0.1:10000/devstoreaccount1}); null when a connection string gives it.
     */
    public URI endpoint() {
        return endpoint;
    }

    /** How requests are authorised. */
    public AzureCredentials credentials() {
        return credentials;
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

    /**
     * The defaults for {@code credentials} at {@code endpoint}: null takes it from a connection
     * string, or the public cloud's for a shared key.
     *
     * @throws IllegalArgumentException for no endpoint where the credentials name none, or one
     *                                  that is not http or https
     */
    public static AzureSettings of(URI endpoint, AzureCredentials credentials) {
        return new AzureSettings(endpoint, credentials,
                new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(5)), 32, Duration.ofSeconds(60),
                32 << 10, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /** These settings with another retry policy. */
    public AzureSettings withRetry(RetryPolicy policy) {
        return new AzureSettings(endpoint, credentials, policy, maxConnections, deadlineBase, deadlineBytesPerSecond,
                connectTimeout, readTimeout);
    }

    /** These settings with another ceiling on reads in flight ({@code --max-requests}). */
    public AzureSettings withMaxConnections(int max) {
        return new AzureSettings(endpoint, credentials, retry, max, deadlineBase, deadlineBytesPerSecond,
                connectTimeout, readTimeout);
    }

    /** These settings with another deadline and read timeout (tests of trickling servers). */
    public AzureSettings withTimeouts(Duration base, long bytesPerSecond, Duration read) {
        return new AzureSettings(endpoint, credentials, retry, maxConnections, base, bytesPerSecond, connectTimeout,
                read);
    }

    /** The longest one attempt at a request of {@code bytes} may take, headers and body. */
    public Duration requestDeadline(long bytes) {
        return deadlineBase.plusNanos((long) Math.min(Long.MAX_VALUE / 4.0, bytes * 1e9 / deadlineBytesPerSecond));
    }

    @Override
    public String toString() {
        return "AzureSettings[endpoint=" + endpoint + ", credentials=" + credentials + ", maxConnections="
                + maxConnections + "]";
    }
}
