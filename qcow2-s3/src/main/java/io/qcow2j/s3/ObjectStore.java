package io.qcow2j.s3;

import io.qcow2j.core.remote.ObjectContainer;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A connection to one S3-compatible object store: owns the SDK's {@link S3Client} and its
 * connection pool, opens objects as {@link S3ByteSource}s, reads small metadata objects, and counts
 * requests and bytes. Thread-safe; close it once every source opened from it is done.
 *
 * <p>Every operation retries transient failures (connection resets, bodies cut short, timeouts,
 * HTTP 5xx, throttling) with exponential backoff and full jitter, up to
 * {@link S3Settings#maxAttempts()} attempts; others (403, 404, 400, TLS certificate errors) fail at
 * once. Failures are {@link ObjectStoreException}s naming {@code s3://bucket/key}.
 */
public final class ObjectStore implements Closeable {
    /** Largest {@link #readSmallObject} limit: the result is one array. */
    public static final long MAX_SMALL_OBJECT = Integer.MAX_VALUE - 8;

    private final S3Settings settings;
    private final URI endpoint;
    private final StoreCredentials credentials;
    private final SdkHttpClient http;
    private final S3Client s3;
    private final ObjectRequests requests;
    /** Whether {@link #close} closes the client: not when the caller built it ({@link #of}). */
    private final boolean ownsClient;
    private volatile boolean closed;

    private ObjectStore(S3Settings settings, URI endpoint, Map<String, String> env) {
        this.settings = settings;
        this.endpoint = endpoint;
        SharedProfiles profiles = SharedProfiles.load(settings, env);
        String region = S3ClientFactory.region(settings, profiles);
        this.credentials = new StoreCredentials(settings, profiles, region);
        try {
            this.http = S3ClientFactory.httpClient(settings);
        } catch (RuntimeException e) {
            credentials.close();
            throw e;
        }
        try {
            this.s3 = S3ClientFactory.s3Client(settings, http, credentials.provider(), endpoint, profiles, region);
        } catch (RuntimeException e) {
            http.close();
            credentials.close();
            throw e;
        }
        try {
            this.requests = new ObjectRequests(s3, settings, (requests, bytes) -> DirectGets.create(settings, s3,
                    credentials.provider(), region, endpoint, env, requests, bytes));
        } catch (RuntimeException e) {
            s3.close();
            http.close();
            credentials.close();
            throw e;
        }
        this.ownsClient = true;
    }

    private ObjectStore(S3Client client, S3Settings settings) {
        this.settings = settings;
        this.endpoint = client.serviceClientConfiguration().endpointOverride().orElse(null);
        this.credentials = null;
        this.http = null;
        this.s3 = client;
        this.requests = new ObjectRequests(client, settings, null);
        this.ownsClient = false;
    }

    /**
     * A store that sends its requests through {@code client}, built by the caller (its region,
     * endpoint, credentials provider, HTTP client and SDK retries are the caller's). Of
     * {@code settings} only what this library does around each request applies: its retries and
     * back-off, request deadlines, {@code requireEntityTag} and the SSE-C key; the client, endpoint,
     * TLS and credentials settings are ignored. Closing the store does not close {@code client}.
     * S3-compatible stores other than AWS usually need the client built with
     * {@code requestChecksumCalculation(WHEN_REQUIRED)} and {@code responseChecksumValidation(WHEN_REQUIRED)},
     * as {@link #create} builds its own.
     * Needs AWS SDK for Java 2.20.32 or later ({@code S3Client.serviceClientConfiguration()}).
     */
    public static ObjectStore of(S3Client client, S3Settings settings) {
        return new ObjectStore(Objects.requireNonNull(client, "client"), Objects.requireNonNull(settings, "settings"));
    }

    /**
     * A store with {@code settings}; without an endpoint in them, the process's
     * {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL}, else AWS. Sends no request.
     *
     * @throws IllegalArgumentException when the settings cannot be used (an unparsable CA PEM, a
     *                                  credentials, config or token file that does not exist, is not a
     *                                  regular file, is too large or is malformed, a malformed endpoint
     *                                  variable), naming what named the file
     */
    public static ObjectStore create(S3Settings settings) {
        return create(settings, System.getenv());
    }

    /**
     * As {@link #create(S3Settings)}, with {@code env} instead of the process's environment for the
     * endpoint variables and the default profile files' {@code HOME}.
     */
    public static ObjectStore create(S3Settings settings, Map<String, String> env) {
        Objects.requireNonNull(settings, "settings");
        URI endpoint = settings.endpoint().or(() -> AwsEnvironment.endpoint(env)).orElse(null);
        return new ObjectStore(settings, endpoint, env);
    }

    /** The settings this store was made with. */
    public S3Settings settings() {
        return settings;
    }

    /** The endpoint in use; empty for AWS's own. */
    public Optional<URI> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /** Whether requests use path-style addressing ({@code endpoint/bucket/key}). */
    public boolean pathStyle() {
        return settings.usesPathStyle(endpoint);
    }

    /**
     * Opens {@code location} for positional reads: one HEAD for its size and entity tag; the reads then
     * send {@code If-Match} with that tag, so an object replaced meanwhile fails instead of mixing versions.
     *
     * @throws ObjectNotFoundException      when the bucket or the object does not exist
     * @throws ObjectAccessDeniedException  when the credentials are refused or missing
     * @throws ObjectStoreException         for any other failure, after the retries
     */
    public S3ByteSource open(S3Location location) throws IOException {
        return new S3ByteSource(this, head(location));
    }

    /**
     * Size and entity tag of {@code location} (one HEAD, retried; a 403 or 404 costs one more
     * 1-byte GET whose answer names the S3 error code, e.g. {@code NoSuchBucket}).
     *
     * @throws ObjectNotFoundException     when the bucket or the object does not exist
     * @throws ObjectAccessDeniedException when the credentials are refused or missing
     * @throws ObjectStoreException        for any other failure, after the retries
     */
    public ObjectInfo head(S3Location location) throws IOException {
        ensureOpen();
        return requests.head(Objects.requireNonNull(location, "location"));
    }

    /**
     * Whether {@code location} exists.
     *
     * @throws ObjectStoreException when that cannot be told (access denied, missing bucket, network)
     */
    public boolean exists(S3Location location) throws IOException {
        try {
            head(location);
            return true;
        } catch (ObjectNotFoundException e) {
            if ("NoSuchBucket".equals(e.errorCode())) {
                throw e;
            }
            return false;
        }
    }

    /**
     * The whole content of a small object, such as a JSON manifest. An object larger than
     * {@code maxBytes} is refused after its HEAD, without downloading any of it.
     *
     * @param maxBytes the largest size accepted, at most {@link #MAX_SMALL_OBJECT}
     * @throws ObjectStoreException when the object is larger than {@code maxBytes}, or cannot be read
     */
    public byte[] readSmallObject(S3Location location, long maxBytes) throws IOException {
        if (maxBytes < 0 || maxBytes > MAX_SMALL_OBJECT) {
            throw new IllegalArgumentException("maxBytes must be 0 to " + MAX_SMALL_OBJECT + ", got " + maxBytes);
        }
        ObjectInfo info = head(location);
        if (info.size() > maxBytes) {
            throw new ObjectStoreException(location, null, -1, "object is " + info.size()
                    + " bytes, more than the " + maxBytes + " accepted for it; not downloaded", -1, null, null);
        }
        byte[] content = new byte[(int) info.size()];
        if (content.length > 0) {
            read(info, ByteBuffer.wrap(content), 0, content.length, null);
        }
        return content;
    }

    /**
     * What the caller should pass on as {@code warning:} lines: objects opened whose HEAD had no
     * entity tag (see {@link S3Settings#requireEntityTag()}).
     */
    public List<String> warnings() {
        return requests.warnings();
    }

    /**
     * The names directly under {@code prefix} (its key, ending in {@code /}): objects and common
     * prefixes one segment deep, without the trailing {@code /}, sorted; one LIST request per
     * 1000 names, retried as every request.
     *
     * @throws ObjectStoreException when the bucket cannot be listed
     */
    public List<String> list(S3Location prefix) throws IOException {
        ensureOpen();
        return requests.list(Objects.requireNonNull(prefix, "prefix"));
    }

    /**
     * Bucket {@code name} of this store as a store-neutral {@link ObjectContainer}: what
     * qcow2-oadp's {@code ObjectStoreBackupLocation} reads a backup through. Sends no request.
     *
     * @throws IllegalArgumentException when the name is empty or holds a {@code /}
     */
    public ObjectContainer bucket(String name) {
        return new S3Bucket(this, name);
    }

    /** Whether ranged GETs go through our own HTTP client ({@code direct}) or the SDK's ({@code sdk}). */
    String transport() {
        return requests.direct() ? "direct" : "sdk";
    }

    /** Requests sent, retries among them, and object bytes received so far. */
    public ObjectStoreStatistics statistics() {
        return new ObjectStoreStatistics(requests.requests.get(), requests.retries.get(), requests.bytesFetched.get());
    }

    void read(ObjectInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        ensureOpen();
        requests.read(info, dst, position, length, structure == null ? "object" : structure);
    }

    /** The parts (ascending, disjoint, inside the object, at least one byte in all) with one ranged GET. */
    void read(ObjectInfo info, List<io.qcow2j.core.ReadPart> parts, String structure) throws IOException {
        ensureOpen();
        requests.read(info, parts, structure == null ? "object" : structure);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Closes the SDK client, its connections and its credentials provider; sources opened from this
     * store stop working.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            requests.close();
            if (ownsClient) {
                s3.close();
                http.close();
                credentials.close();
            }
        }
    }
}
