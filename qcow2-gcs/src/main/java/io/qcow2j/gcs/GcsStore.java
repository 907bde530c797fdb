package io.qcow2j.gcs;

import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.apache.v2.ApacheHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.storage.Storage;
import com.google.auth.http.HttpCredentialsAdapter;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.remote.NetworkFailure;
import io.qcow2j.core.remote.ObjectContainer;
import io.qcow2j.core.remote.StoreStatistics;
import java.io.ByteArrayInputStream;
import java.net.ProxySelector;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.impl.conn.SystemDefaultRoutePlanner;

/**
 * A connection to Cloud Storage's JSON API: opens objects as {@link GcsByteSource}s and counts
 * requests and bytes. Thread-safe; close it once every source opened from it is done.
 *
 * <p>Every operation retries transient failures (connection resets, bodies cut short, timeouts,
 * HTTP 5xx, 429) with exponential backoff and full jitter; others (401, 403, 404, 412) fail at once.
 * Failures are {@link GcsStoreException}s naming {@code gs://bucket/object}.
 */
public final class GcsStore implements Closeable {
    /** Reading objects is all a restore does. */
    static final String READ_ONLY = "https://www.googleapis.com/auth/devstorage.read_only";
    /** A credentials file is a few KiB; more is not one. */
    private static final long MAX_CREDENTIALS_BYTES = 1 << 20;

    private final GcsSettings settings;
    private final GcsRequests requests;
    private final ScheduledExecutorService deadlines;
    private final PoolingHttpClientConnectionManager pool;
    private volatile boolean closed;

    private GcsStore(GcsSettings settings, Storage api, ScheduledExecutorService deadlines,
                     PoolingHttpClientConnectionManager pool, ResponseConnections connections) {
        this.settings = settings;
        this.deadlines = deadlines;
        this.pool = pool;
        this.requests = new GcsRequests(api, settings, deadlines, connections);
    }

    /**
     * A store with {@code settings}. Reads the credentials file, if any; sends no request.
     *
     * @throws IllegalArgumentException when the credentials cannot be used (a file that is missing,
     *                                  too large or not a credentials JSON), naming what named them
     */
    public static GcsStore create(GcsSettings settings) {
        Objects.requireNonNull(settings, "settings");
        // Apache HttpClient 4, google-api-client's own choice: a pool as large as the reads in flight,
        // and a response that can be aborted mid-body. The JDK's HttpURLConnection keeps 5 idle
        // connections per host and, disconnected mid-body, drains the rest on a thread of its own,
        // so a trickling body could not be cut at its deadline (docs/decisions.md).
        PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager();
        pool.setMaxTotal(settings.maxConnections());
        pool.setDefaultMaxPerRoute(settings.maxConnections());
        ResponseConnections connections = new ResponseConnections();
        HttpTransport transport = new ApacheHttpTransport(HttpClientBuilder.create().setConnectionManager(pool)
                .addInterceptorLast(connections)
                .setRoutePlanner(new SystemDefaultRoutePlanner(ProxySelector.getDefault()))
                .disableRedirectHandling().disableAutomaticRetries().disableContentCompression()
                .disableCookieManagement().build());
        GoogleCredentials credentials = credentials(settings, transport);
        HttpCredentialsAdapter auth = credentials == null ? null : new HttpCredentialsAdapter(credentials);
        int connect = (int) settings.connectTimeout().toMillis();
        int read = (int) settings.readTimeout().toMillis();
        HttpRequestInitializer init = request -> {
            request.setConnectTimeout(connect).setReadTimeout(read).setNumberOfRetries(0)
                    .setResponseReturnRawInputStream(true);
            if (auth != null) {
                try {
                    auth.initialize(request);
                } catch (IOException e) {
                    throw new GcsFailure.CredentialsException(e);
                }
            }
        };
        Storage api = new Storage.Builder(transport, GsonFactory.getDefaultInstance(), init)
                .setRootUrl(settings.endpoint().toString().replaceAll("/+$", "") + "/")
                .setApplicationName("qcow2j").build();
        ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qcow2j-gcs-deadline");
            t.setDaemon(true);
            return t;
        });
        return new GcsStore(settings, api, deadlines, pool, connections);
    }

    private static GoogleCredentials credentials(GcsSettings settings, HttpTransport transport) {
        GcsCredentials c = settings.credentials();
        GoogleCredentials g;
        byte[] file = c instanceof GcsCredentials.KeyFile k ? readCredentials(k) : null;
        try {
            if (file != null) {
                g = GoogleCredentials.fromStream(new ByteArrayInputStream(file), () -> transport);
            } else if (c instanceof GcsCredentials.ApplicationDefault) {
                g = GoogleCredentials.getApplicationDefault(() -> transport);
            } else {
                g = null;
            }
        } catch (IOException | RuntimeException e) {
            String where = c instanceof GcsCredentials.KeyFile k ? k.origin() + ": " + k.file()
                    + ": not a service account or external account credentials file: "
                    : "no Google application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, the"
                    + " metadata server): ";
            throw new IllegalArgumentException(where + NetworkFailure.oneLine(NetworkFailure.deepestMessage(e)), e);
        }
        if (g != null && g.createScopedRequired()) {
            g = g.createScoped(List.of(READ_ONLY));
        }
        if (settings.impersonate() != null) {
            if (g == null) {
                throw new IllegalArgumentException("impersonating " + settings.impersonate() + " needs credentials"
                        + " to do it with; an emulator endpoint has none");
            }
            g = ImpersonatedCredentials.create(g, settings.impersonate(), null, List.of(READ_ONLY), 3600,
                    () -> transport);
        }
        return g;
    }

    private static byte[] readCredentials(GcsCredentials.KeyFile k) {
        Path f = k.file();
        String where = k.origin() + ": " + f;
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(where + (Files.exists(f) ? ": not a regular file" : ": no such file"));
        }
        try {
            long size = Files.size(f);
            if (size > MAX_CREDENTIALS_BYTES) {
                throw new IllegalArgumentException(where + ": " + size + " bytes, more than a credentials file's "
                        + MAX_CREDENTIALS_BYTES);
            }
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": cannot read: " + NetworkFailure.describe(e), e);
        }
    }

    /** The settings this store was made with. */
    public GcsSettings settings() {
        return settings;
    }

    /**
     * Opens {@code location} for positional reads: one metadata request for its size and generation;
     * the reads then send {@code ifGenerationMatch} with it and check the generation each response
     * names, so an object replaced meanwhile fails instead of mixing versions.
     *
     * @throws GcsStoreException.NotFound     when the bucket or the object does not exist
     * @throws GcsStoreException.AccessDenied when the credentials are refused or no token can be had
     * @throws GcsStoreException              for any other failure, after the retries
     */
    public GcsByteSource open(GcsLocation location) throws IOException {
        return new GcsByteSource(this, metadata(location));
    }

    /** Size and generation of {@code location} (one metadata request, retried). */
    public GcsObjectInfo metadata(GcsLocation location) throws IOException {
        ensureOpen();
        return requests.metadata(Objects.requireNonNull(location, "location"));
    }

    /**
     * The names directly under {@code prefix} (its object name a prefix ending in {@code /}): objects
     * and prefixes one segment deep, without the trailing {@code /}, sorted; one list request a page.
     *
     * @throws GcsStoreException when the bucket cannot be listed
     */
    public List<String> list(GcsLocation prefix) throws IOException {
        ensureOpen();
        return requests.list(Objects.requireNonNull(prefix, "prefix"));
    }

    /**
     * Bucket {@code name} of this store as a store-neutral {@link ObjectContainer}: what qcow2-oadp's
     * {@code ObjectStoreBackupLocation} reads a backup location through.
     *
     * @throws IllegalArgumentException when the name is empty or holds a {@code /}
     */
    public ObjectContainer bucket(String name) {
        return new GcsBucket(this, name);
    }

    /** Requests sent, retries among them, and object bytes received so far. */
    public StoreStatistics statistics() {
        return new StoreStatistics(requests.requests.get(), requests.retries.get(), requests.bytesFetched.get());
    }

    void read(GcsObjectInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        ensureOpen();
        requests.read(info, dst, position, length, structure == null ? "object" : structure);
    }

    void read(GcsObjectInfo info, List<ReadPart> parts, String structure) throws IOException {
        ensureOpen();
        requests.read(info, parts, structure == null ? "object" : structure);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /** Sources opened from this store stop working, and its connections close. */
    @Override
    public void close() {
        closed = true;
        deadlines.shutdownNow();
        pool.shutdown();
    }
}
