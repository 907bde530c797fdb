package io.qcow2j.s3.testing;

import io.qcow2j.s3.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy (filesystem backend in a temporary directory, SigV2/SigV4
 * checked) on free loopback ports, plain HTTP and, when asked, HTTPS with a self-signed certificate
 * made by {@code keytool} for {@code 127.0.0.1} and {@code localhost}.
 *
 * <p>It runs as a child JVM from S3Proxy's self-contained jar: in-process, S3Proxy's class path
 * (jclouds, Jetty 11, Jackson 2.18, logback, slf4j 2, Netty 4.1 via Azure) would meet the SDK's
 * (slf4j 1.7, Apache HttpClient 5) and the parent pom's managed versions (Jackson 2.21 databind),
 * and logback would print S3Proxy's logs into the test output. A child costs one JVM start (a few
 * seconds, once per test JVM with {@link #shared()}) and is killed at exit whatever happens.
 *
 * <p>The jar is found through the system property {@value #JAR_PROPERTY} (qcow2-s3's pom copies it
 * into {@code target/s3proxy/}), else in the local Maven repository.
 */
public final class S3ProxyServer implements AutoCloseable {
    /** Access key the server accepts. */
    public static final String ACCESS_KEY = "qcow2j-test";
    /** Secret key the server accepts. */
    public static final String SECRET_KEY = "qcow2j-test-secret";
    /** System property naming S3Proxy's {@code jar-with-dependencies}. */
    public static final String JAR_PROPERTY = "qcow2j.s3proxy.jar";
    private static final String VERSION = "2.6.0";
    private static final String KEYSTORE_PASSWORD = "qcow2j-test";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyServer shared;

    private final Path dir;
    private final Process process;
    private final URI endpoint;
    private final URI secureEndpoint;
    private final String certificatePem;
    private final S3Client admin;

    private S3ProxyServer(Path dir, Process process, URI endpoint, URI secureEndpoint, String certificatePem) {
        this.dir = dir;
        this.process = process;
        this.endpoint = endpoint;
        this.secureEndpoint = secureEndpoint;
        this.certificatePem = certificatePem;
        this.admin = S3Client.builder()
                .httpClient(Apache5HttpClient.builder().build())
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    /**
     * The server shared by every test of this JVM (HTTP and HTTPS), started on first use and
     * stopped when the JVM exits; tests keep apart by using their own buckets ({@link #createBucket()}).
     */
    public static synchronized S3ProxyServer shared() throws IOException {
        if (shared == null || !shared.process.isAlive()) {
            S3ProxyServer s = start(true);
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "s3proxy-stop"));
            shared = s;
        }
        return shared;
    }

    /** A server of one's own; {@code tls} adds an HTTPS endpoint. Stop it with {@link #close()}. */
    public static S3ProxyServer start(boolean tls) throws IOException {
        return start(tls, "aws-v2-or-v4");
    }

    /**
     * A plain-HTTP server of one's own that checks no signature (S3Proxy's {@code authorization=none}):
     * for a relay that changes signed request headers to play a store that ignores them.
     */
    public static S3ProxyServer startWithoutAuthorization() throws IOException {
        return start(false, "none");
    }

    private static S3ProxyServer start(boolean tls, String authorization) throws IOException {
        Path dir = Files.createTempDirectory("s3proxy");
        Process process = null;
        try {
            Files.createDirectories(dir.resolve("data"));
            int port = freePort();
            StringBuilder conf = new StringBuilder()
                    .append("s3proxy.endpoint=http://127.0.0.1:").append(port).append('\n')
                    .append("s3proxy.authorization=").append(authorization).append('\n')
                    .append("s3proxy.identity=").append(ACCESS_KEY).append('\n')
                    .append("s3proxy.credential=").append(SECRET_KEY).append('\n')
                    .append("jclouds.provider=filesystem\n")
                    .append("jclouds.filesystem.basedir=").append(dir.resolve("data")).append('\n');
            int securePort = -1;
            String pem = null;
            if (tls) {
                securePort = freePort();
                Path keystore = dir.resolve("keystore.p12");
                pem = selfSignedCertificate(keystore);
                conf.append("s3proxy.secure-endpoint=https://127.0.0.1:").append(securePort).append('\n')
                        .append("s3proxy.keystore-path=").append(keystore).append('\n')
                        .append("s3proxy.keystore-password=").append(KEYSTORE_PASSWORD).append('\n');
            }
            Path properties = dir.resolve("s3proxy.conf");
            Files.writeString(properties, conf);
            Path log = dir.resolve("s3proxy.log");
            // C1 only and a small serial heap: it starts in about half the time, and tests move little data
            process = new ProcessBuilder(javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", s3proxyJar().toString(), "--properties", properties.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            awaitPort(process, port, deadline, log);
            if (tls) {
                awaitPort(process, securePort, deadline, log);
            }
            return new S3ProxyServer(dir, process, URI.create("http://127.0.0.1:" + port),
                    tls ? URI.create("https://127.0.0.1:" + securePort) : null, pem);
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            deleteTree(dir);
            throw e;
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    /** {@code https://127.0.0.1:PORT}, serving the certificate {@link #certificatePem()}. */
    public URI secureEndpoint() {
        if (secureEndpoint == null) {
            throw new IllegalStateException("started without TLS");
        }
        return secureEndpoint;
    }

    /** The HTTPS endpoint's self-signed certificate, PEM. */
    public String certificatePem() {
        secureEndpoint();
        return certificatePem;
    }

    /** Settings for the plain endpoint with the right credentials (path style is automatic there). */
    public S3Settings.Builder settings() {
        return S3Settings.builder().endpoint(endpoint).region("us-east-1")
                .staticCredentials(ACCESS_KEY, SECRET_KEY, null);
    }

    /** A client for setting up buckets and objects, straight to the server. */
    public S3Client client() {
        return admin;
    }

    /** Creates a bucket with a name unique in this JVM and returns the name. */
    public String createBucket() {
        String name = "qcow2j-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        createBucket(name);
        return name;
    }

    /** Creates bucket {@code name}. */
    public void createBucket(String name) {
        admin.createBucket(b -> b.bucket(name));
    }

    /** Uploads {@code content} as {@code bucket/key}. */
    public void putObject(String bucket, String key, byte[] content) {
        admin.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    /** Stops the server and deletes its files; safe to call twice. */
    public synchronized void stop() {
        admin.close();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        deleteTree(dir);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private static Path s3proxyJar() throws IOException {
        String property = System.getProperty(JAR_PROPERTY);
        Path jar = property != null ? Path.of(property)
                : Path.of(System.getProperty("user.home"), ".m2", "repository", "org", "gaul", "s3proxy", VERSION,
                "s3proxy-" + VERSION + "-jar-with-dependencies.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("S3Proxy jar not found at " + jar + ": build with Maven (qcow2-s3's pom copies it), "
                    + "or mvn dependency:get -Dartifact=org.gaul:s3proxy:" + VERSION + ":jar:jar-with-dependencies");
        }
        return jar;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(Process process, int port, long deadline, Path log) throws IOException {
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with status " + process.exitValue() + ": " + tail(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("S3Proxy did not listen on port " + port + " within " + START_TIMEOUT
                            + ": " + tail(log));
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting S3Proxy", e);
            }
        }
    }

    /** A PKCS#12 key store at {@code keystore} with a fresh self-signed RSA key; returns the certificate in PEM. */
    private static String selfSignedCertificate(Path keystore) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "s3proxy", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "7", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", KEYSTORE_PASSWORD, "-keypass", KEYSTORE_PASSWORD,
                "-noprompt").redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (p.waitFor() != 0) {
                throw new IOException("keytool failed: " + output.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, KEYSTORE_PASSWORD.toCharArray());
            byte[] der = ks.getCertificate("s3proxy").getEncoded();
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                    + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key store keytool made: " + e.getMessage(), e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }
}
