package io.qcow2j.azure;

import io.qcow2j.core.remote.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a storage account is and how to talk to it. Immutable; {@link #of} gives the defaults
 * (the same as qcow2-s3's: 5 attempts, backoff 100 ms to 5 s, 32 reads in flight, a deadline of
 * 60 s plus 32 KiB/s per request).
 *
 * @param endpoint             the account's blob endpoint (e.g. {@code https://acct.blob.core.windows.net},
 *                             or Azurite's {@code http://127.0.0.1:10000/devstoreaccount1}); null to take
 *                             it from a connection string, or the public cloud's for a shared key
 * @param credentials          how requests are authorised
 * @param retry                attempts and backoff for every request, bodies included
 * @param maxConnections       reads in flight at once
 * @param deadlineBase         the fixed part of each request's deadline
 * @param deadlineBytesPerSecond the slowest transfer rate a request's deadline allows
 * @param connectTimeout       TCP connect timeout
 * @param readTimeout          the longest silence within a response
 */
public record AzureSettings(URI endpoint, AzureCredentials credentials, RetryPolicy retry, int maxConnections,
                            Duration deadlineBase, long deadlineBytesPerSecond, Duration connectTimeout,
                            Duration readTimeout) {
    /** @throws IllegalArgumentException for no endpoint where the credentials name none, or bad limits */
    public AzureSettings {
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
    }

    /** The defaults for {@code credentials} at {@code endpoint} (null: see {@link AzureSettings}). */
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
}
