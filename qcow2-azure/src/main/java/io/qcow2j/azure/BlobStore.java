package io.qcow2j.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.storage.blob.BlobServiceAsyncClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.remote.NetworkFailure;
import io.qcow2j.core.remote.ObjectContainer;
import io.qcow2j.core.remote.StoreStatistics;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Objects;

/**
 * A connection to one storage account's blob service: opens blobs as {@link BlobByteSource}s and
 * counts requests and bytes. Thread-safe; close it once every source opened from it is done.
 *
 * <p>Every operation retries transient failures (connection resets, bodies cut short, timeouts,
 * HTTP 5xx, 429) with exponential backoff and full jitter; others (403, 404, 412) fail at once.
 * Failures are {@link BlobStoreException}s naming {@code az://container/blob}.
 */
public final class BlobStore implements Closeable {
    private final AzureSettings settings;
    private final BlobRequests requests;
    private volatile boolean closed;

    private BlobStore(AzureSettings settings, BlobServiceClient service, BlobServiceAsyncClient asyncService) {
        this.settings = settings;
        this.requests = new BlobRequests(service, asyncService, settings);
    }

    /**
     * A store with {@code settings}. Sends no request.
     *
     * @throws IllegalArgumentException when the SDK refuses the settings (a malformed connection
     *                                  string or account key), saying why
     */
    public static BlobStore create(AzureSettings settings) {
        Objects.requireNonNull(settings, "settings");
        // the JDK's own HttpClient: no Netty, and the same pool for the token requests
        HttpClient http = new JdkHttpClientBuilder().connectionTimeout(settings.connectTimeout())
                .readTimeout(settings.readTimeout()).responseTimeout(settings.readTimeout()).build();
        BlobServiceClientBuilder b = new BlobServiceClientBuilder().httpClient(http)
                // BlobRequests retries, bodies included; two loops would multiply the attempts
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, (Integer) null, null, null, null));
        try {
            AzureCredentials c = settings.credentials();
            if (c instanceof AzureCredentials.ConnectionString s) {
                b.connectionString(s.value());
            } else if (c instanceof AzureCredentials.SharedKey k) {
                b.credential(new StorageSharedKeyCredential(k.account(), k.key()));
            } else if (c instanceof AzureCredentials.ServicePrincipal p) {
                b.credential(token(p, http));
            } else if (c instanceof AzureCredentials.WorkloadIdentity w) {
                b.credential(token(w, http));
            }
            if (settings.endpoint() != null) {
                b.endpoint(settings.endpoint().toString());
            }
            return new BlobStore(settings, b.buildClient(), b.buildAsyncClient()); // one HTTP client: one pool
        } catch (RuntimeException e) {
            if (e instanceof NullPointerException) {
                throw e;
            }
            throw new IllegalArgumentException("Azure storage settings not usable: "
                    + NetworkFailure.oneLine(e.getMessage()), e);
        }
    }

    private static TokenCredential token(AzureCredentials.ServicePrincipal p, HttpClient http) {
        ClientSecretCredentialBuilder b = new ClientSecretCredentialBuilder().tenantId(p.tenantId())
                .clientId(p.clientId()).clientSecret(p.clientSecret()).httpClient(http);
        if (p.authority() != null) {
            b.authorityHost(p.authority().toString());
        }
        return b.build();
    }

    private static TokenCredential token(AzureCredentials.WorkloadIdentity w, HttpClient http) {
        WorkloadIdentityCredentialBuilder b = new WorkloadIdentityCredentialBuilder().tenantId(w.tenantId())
                .clientId(w.clientId()).tokenFilePath(w.tokenFile().toString()).httpClient(http);
        if (w.authority() != null) {
            b.authorityHost(w.authority().toString());
        }
        return b.build();
    }

    /** The settings this store was made with. */
    public AzureSettings settings() {
        return settings;
    }

    /**
     * Opens {@code location} for positional reads: one properties request for its size and ETag; the
     * reads then send {@code If-Match} with that ETag, so a blob replaced meanwhile fails instead of
     * mixing versions.
     *
     * @throws BlobStoreException.NotFound     when the container or the blob does not exist
     * @throws BlobStoreException.AccessDenied when the credentials are refused
     * @throws BlobStoreException              for any other failure, after the retries
     */
    public BlobByteSource open(BlobLocation location) throws IOException {
        return new BlobByteSource(this, properties(location));
    }

    /** Size and ETag of {@code location} (one properties request, retried). */
    public BlobInfo properties(BlobLocation location) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        return requests.properties(Objects.requireNonNull(location, "location"));
    }

    /** The names directly under {@code prefix} (a blob name prefix ending in {@code /}): {@link BlobContainer#list}. */
    List<String> list(BlobLocation prefix) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        return requests.list(prefix);
    }

    /**
     * Container {@code name} of this store as a store-neutral {@link ObjectContainer}: what
     * qcow2-oadp's {@code ObjectStoreBackupLocation} reads a backup through. Sends no request.
     *
     * @throws IllegalArgumentException when the name is empty or holds a {@code /}
     */
    public ObjectContainer container(String name) {
        return new BlobContainer(this, name);
    }

    /** Requests sent, retries among them, and blob bytes received so far. */
    public StoreStatistics statistics() {
        return new StoreStatistics(requests.requests.get(), requests.retries.get(), requests.bytesFetched.get());
    }

    void read(BlobInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        requests.read(info, dst, position, length, structure == null ? "blob" : structure);
    }

    void read(BlobInfo info, List<ReadPart> parts, String structure) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        requests.read(info, parts, structure == null ? "blob" : structure);
    }

    /** Sources opened from this store stop working; the JDK client's connections close when idle. */
    @Override
    public void close() {
        closed = true;
    }
}
