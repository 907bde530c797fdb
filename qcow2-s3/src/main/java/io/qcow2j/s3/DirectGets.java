package io.qcow2j.s3;

import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import io.qcow2j.s3.internal.http.ConnectionPool;
import io.qcow2j.s3.internal.http.Exchange;
import io.qcow2j.s3.internal.http.WatchdogException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetUrlRequest;

/**
 * HEADs and ranged GETs sent by our own HTTP/1.1 client ({@link ConnectionPool}), signed with the SDK's
 * Signature V4 signer: the SDK's request pipeline cost about 0.5 ms of CPU per request and two
 * copies of every body byte (docs/decisions.md, "Where the time goes"); here a plain connection's
 * body goes from the socket into the block buffer. The SDK still resolves the object's URL
 * (endpoint, addressing) and the credentials, and sends LIST. Only for stores built from
 * {@link S3Settings} and not behind an HTTP proxy (see {@link #create}). Thread-safe.
 */
final class DirectGets implements Transport {
    /** Most bytes of an error answer read for its S3 code and message. */
    private static final int MAX_ERROR_BODY = 64 << 10;
    private static final String[] PROXY_VARIABLES = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
        "ALL_PROXY", "all_proxy"};

    /** Where the bytes between parts are dropped: one per reading thread. */
    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(64 << 10));

    private final ConnectionPool pool;
    private final S3Settings settings;
    private final AtomicLong requests;
    private final AtomicLong bytesFetched;
    private final S3Client s3;
    private final AwsCredentialsProvider credentials;
    private final String region;
    /** Null without SSE-C. */
    private final SseCustomerKey sse;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final Map<S3Location, URI> urls = new ConcurrentHashMap<>();

    private DirectGets(ConnectionPool pool, S3Settings settings, AtomicLong requests, AtomicLong bytesFetched,
                       S3Client s3, AwsCredentialsProvider credentials, String region, SseCustomerKey sse) {
        this.pool = pool;
        this.settings = settings;
        this.requests = requests;
        this.bytesFetched = bytesFetched;
        this.s3 = s3;
        this.credentials = credentials;
        this.region = region;
        this.sse = sse;
    }

    /**
     * The direct GETs for a store, or null when its requests must go through the SDK's HTTP client:
     * when a proxy is set for the endpoint ({@code HTTPS_PROXY} and the like in the process's
     * environment or {@code env}, or the JVM's proxy properties, and {@code NO_PROXY} does not name
     * the endpoint's host; AWS's regional host {@code s3.REGION.amazonaws.com} without an endpoint),
     * which that client honours and this one does not.
     */
    static DirectGets create(S3Settings settings, S3Client s3, AwsCredentialsProvider credentials, String region,
                             URI endpoint, Map<String, String> env, AtomicLong requests, AtomicLong bytesFetched) {
        URI host = endpoint != null ? endpoint : URI.create("https://s3." + region + ".amazonaws.com");
        if (proxied(host, env) || proxied(host, System.getenv())
                || System.getProperty("http.proxyHost") != null || System.getProperty("https.proxyHost") != null) {
            return null;
        }
        ConnectionPool pool = new ConnectionPool(settings.maxConnections(), settings.connectTimeout(),
                settings.readTimeout(), tlsFactory(settings), !settings.insecureSkipTlsVerify());
        return new DirectGets(pool, settings, requests, bytesFetched, s3, credentials, region,
                SseCustomerKey.of(settings));
    }

    /** Whether {@code env} sets a proxy that {@code NO_PROXY} does not lift for the endpoint's host. */
    static boolean proxied(URI endpoint, Map<String, String> env) {
        boolean any = false;
        for (String v : PROXY_VARIABLES) {
            String value = env.get(v);
            any |= value != null && !value.isBlank();
        }
        if (!any) {
            return false;
        }
        String noProxy = env.getOrDefault("NO_PROXY", env.getOrDefault("no_proxy", ""));
        String host = endpoint == null || endpoint.getHost() == null ? null
                : endpoint.getHost().toLowerCase(Locale.ROOT);
        for (String entry : noProxy.split(",")) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            if (e.equals("*")) {
                return false;
            }
            if (host == null || e.isEmpty()) {
                continue;
            }
            String domain = e.startsWith(".") ? e.substring(1) : e;
            if (host.equals(domain) || host.endsWith("." + domain)) {
                return false;
            }
        }
        return true;
    }

    private static SSLSocketFactory tlsFactory(S3Settings settings) {
        try {
            if (settings.insecureSkipTlsVerify()) {
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(null, new TrustManager[] {new TrustAll()}, null);
                return c.getSocketFactory();
            }
            if (settings.caCertificatePem().isPresent()) {
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(null, TlsTrust.withExtraCertificates(settings.caCertificatePem().get()), null);
                return c.getSocketFactory();
            }
            return SSLContext.getDefault().getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + Failure.oneLine(e.getMessage()), e);
        }
    }

    /** Accepts any certificate, as curl -k: only when the settings ask for it (test endpoints). */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    @Override
    public Head head(S3Location location) throws IOException {
        Duration deadline = settings.requestDeadline(0);
        Exchange x = null;
        try {
            x = send(request(SdkHttpMethod.HEAD, location), System.nanoTime() + deadline.toNanos());
            return new Head(x.field("content-length"), x.field("etag"));
        } catch (WatchdogException e) {
            throw timedOut(e, deadline, "");
        } finally {
            if (x != null) {
                x.close();
            }
        }
    }

    @Override
    public void probe(S3Location location) throws IOException {
        exchange(location, null, 0, 1, System.nanoTime() + settings.requestDeadline(1).toNanos()).close();
    }

    /**
     * One GET within its deadline and idle timeout (the pool's watchdog). The body is read to the
     * range's end; a longer one (a server that ignored Range at offset 0) closes the connection.
     */
    @Override
    public void get(ObjectInfo info, PartsCursor cursor) throws IOException {
        long position = cursor.resumeAt();
        int length = cursor.remaining();
        ByteBuffer scratch = SCRATCH.get();
        Duration deadline = settings.requestDeadline(length);
        Exchange x = null;
        int got = 0;
        try {
            x = exchange(info.location(), info.eTag(), position, length, System.nanoTime() + deadline.toNanos());
            String contentRange = x.field("content-range");
            long contentLength = x.contentLength();
            ResponseChecks.range(contentRange, position, length);
            ResponseChecks.sameObject(info, x.field("etag"), contentRange, contentLength < 0 ? null : contentLength);
            while (got < length) {
                int n = cursor.readFrom(x::read, scratch);
                if (n < 0) {
                    throw new Failure.ShortBodyException(got, length);
                }
                got += n;
            }
        } catch (WatchdogException e) {
            throw timedOut(e, deadline, " (" + got + " of " + length + " bytes received)");
        } finally {
            bytesFetched.addAndGet(got);
            if (x != null) {
                x.close();
            }
        }
    }

    /** An exchange the watchdog ended, as an attempt that timed out: retried like one. */
    private static Failure.DeadlineException timedOut(WatchdogException e, Duration deadline, String progress) {
        String why = e.getMessage().equals(WatchdogException.DEADLINE)
                ? "no complete response within the deadline of " + deadline.toMillis() / 1000.0 + " s" : e.getMessage();
        return new Failure.DeadlineException(why + progress, e);
    }

    /**
     * Sends a signed ranged GET and reads the head of its answer; the caller reads the body and
     * closes the exchange.
     *
     * @param due deadline of the whole exchange ({@link System#nanoTime()})
     * @throws HttpStatusException for an answer other than 200 or 206
     */
    private Exchange exchange(S3Location location, String eTag, long position, int length, long due)
            throws IOException {
        SdkHttpRequest.Builder r = request(SdkHttpMethod.GET, location).putHeader("Range", HttpRange.header(position,
                length));
        if (eTag != null) {
            r.putHeader("If-Match", fieldValue(eTag));
        }
        return send(r, due);
    }

    private SdkHttpRequest.Builder request(SdkHttpMethod method, S3Location location) {
        SdkHttpRequest.Builder r = SdkHttpRequest.builder().method(method).uri(urls.computeIfAbsent(location,
                this::url));
        if (sse != null) {
            r.putHeader("x-amz-server-side-encryption-customer-algorithm", "AES256")
                    .putHeader("x-amz-server-side-encryption-customer-key", sse.key())
                    .putHeader("x-amz-server-side-encryption-customer-key-MD5", sse.keyMd5());
        }
        return r;
    }

    /**
     * Signs and sends a request and reads the head of its answer.
     *
     * @throws HttpStatusException for an answer other than 200 or 206 (a HEAD's without the S3
     *                             code: its answer has no body)
     */
    private Exchange send(SdkHttpRequest.Builder r, long due) throws IOException {
        SdkHttpRequest unsigned = r.build();
        SignedRequest signed = signer.sign(s -> s.identity(credentials.resolveCredentials()).request(unsigned)
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        boolean head = unsigned.method() == SdkHttpMethod.HEAD;
        Exchange x = pool.send(unsigned.getUri(), head(signed.request()), head, due, requests::incrementAndGet);
        if (x.status() != 200 && x.status() != 206) {
            try (x) {
                throw failure(x);
            }
        }
        return x;
    }

    private URI url(S3Location location) {
        try {
            return s3.utilities().getUrl(GetUrlRequest.builder().bucket(location.bucket()).key(location.key()).build())
                    .toURI();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(location + ": not a valid URL for the SDK: " + e.getMessage(), e);
        }
    }

    /** An entity tag from a response, as a field value: a server's CR or LF must not start a field of ours. */
    private static String fieldValue(String eTag) throws IOException {
        for (int i = 0; i < eTag.length(); i++) {
            char c = eTag.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                throw new Failure.BadResponseException("the object's ETag holds a control character: "
                        + Failure.oneLine(eTag));
            }
        }
        return eTag;
    }

    /** The request's message head: request line and fields, as the signer left them. */
    private static byte[] head(SdkHttpRequest r) {
        StringBuilder b = new StringBuilder(512).append(r.method().name()).append(' ').append(r.encodedPath().isEmpty() ? "/" : r.encodedPath());
        Map<String, List<String>> query = r.rawQueryParameters();
        if (!query.isEmpty()) {
            // the SDK's own encoding, the same the signer signed
            b.append('?').append(r.encodedQueryParameters().orElse(""));
        }
        b.append(" HTTP/1.1\r\n");
        boolean host = false;
        for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
            host |= h.getKey().equalsIgnoreCase("Host");
            for (String v : h.getValue()) {
                b.append(h.getKey()).append(": ").append(v).append("\r\n");
            }
        }
        if (!host) {
            b.append("Host: ").append(r.host());
            if (r.port() != (r.protocol().equals("https") ? 443 : 80)) {
                b.append(':').append(r.port());
            }
            b.append("\r\n");
        }
        b.append("User-Agent: qcow2j\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The error answer's S3 code and message (from its XML body, when it has one) as an exception. */
    private static HttpStatusException failure(Exchange x) {
        String body = "";
        try {
            body = x.readText(MAX_ERROR_BODY);
        } catch (IOException e) {
            // the status alone says enough
        }
        String code = element(body, "Code");
        String message = element(body, "Message");
        // a HEAD's answer has no body: its reason phrase is all the server said
        return new HttpStatusException(x.status(), code, code == null && message == null ? x.reason() : message,
                x.field("x-amz-bucket-region"));
    }

    /** The text of the first {@code <name>} element, entities decoded; null when there is none. */
    static String element(String xml, String name) {
        int open = xml.indexOf("<" + name + ">");
        int close = open < 0 ? -1 : xml.indexOf("</" + name + ">", open);
        if (close < 0) {
            return null;
        }
        String v = xml.substring(open + name.length() + 2, close).trim();
        v = v.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
                .replace("&amp;", "&");
        return v.isEmpty() ? null : v;
    }

    @Override
    public void close() {
        pool.close();
    }
}
