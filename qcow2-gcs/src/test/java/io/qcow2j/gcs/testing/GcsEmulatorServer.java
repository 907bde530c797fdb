package io.qcow2j.gcs.testing;

import com.google.api.client.http.ByteArrayContent;
import com.google.api.client.http.FileContent;
import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.http.HttpResponse;
import com.google.api.client.http.AbstractInputStreamContent;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.storage.Storage;
import com.google.api.services.storage.model.StorageObject;
import io.qcow2j.core.testing.ServerProcess;
import io.qcow2j.gcs.GcsCredentials;
import io.qcow2j.gcs.GcsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A real Google Cloud Storage JSON API server for tests: the Cloud Storage emulator of firebase-tools
 * (npm), run by {@code gcs-emulator.js} (a resource beside this class) under {@code node} on a free
 * loopback port, its objects in a temporary directory. The firebase-tools package directory is named
 * by the system property {@value #PROPERTY} (qcow2-gcs's pom passes {@code QCOW2J_GCS_EMULATOR},
 * which {@code .ci/run} sets after installing firebase-tools into a cache directory). Without it the
 * tests are skipped with a message saying so, unless {@code QCOW2J_REQUIRE_EMULATORS=1}, when they
 * fail.
 *
 * <p>What this server does and does not do (docs/decisions.md): ranged media reads (206 with
 * {@code Content-Range}), generations in metadata and in each media response's
 * {@code x-goog-generation}, uploads; it ignores {@code ifGenerationMatch} on media reads, checks no
 * credentials, creates any bucket a request names, and reads a whole object for every ranged read.
 */
public final class GcsEmulatorServer implements AutoCloseable {
    public static final String PROPERTY = "qcow2j.gcs.emulator";
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static GcsEmulatorServer shared;

    private final Path dir;
    private final Process process;
    private final URI endpoint;
    private final Storage admin;
    private final HttpRequestFactory http;

    private GcsEmulatorServer(Path dir, Process process, URI endpoint) {
        this.dir = dir;
        this.process = process;
        this.endpoint = endpoint;
        NetHttpTransport transport = new NetHttpTransport();
        this.admin = new Storage.Builder(transport, GsonFactory.getDefaultInstance(), null)
                .setRootUrl(endpoint + "/").setApplicationName("qcow2j-test").build();
        this.http = transport.createRequestFactory();
    }

    /** The firebase-tools package directory, or a skip (a failure when the emulators are required). */
    public static Path firebaseTools() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank() || p.startsWith("${")) {
            p = System.getenv("QCOW2J_GCS_EMULATOR");
        }
        String why = "the Cloud Storage emulator is not installed: set QCOW2J_GCS_EMULATOR to firebase-tools'"
                + " node_modules/.bin/firebase or its package directory (.ci/run installs it with npm into a cache"
                + " directory)";
        Path tools = p == null || p.isBlank() ? null : packageDirectory(Path.of(p));
        if (tools == null) {
            ServerProcess.notInstalled(why, p == null ? null : "not a firebase-tools installation: " + p);
        }
        return tools;
    }

    /**
     * The firebase-tools package directory of {@code given}: that directory, an npm prefix holding it,
     * or the {@code firebase} command (a link into the package's {@code lib/bin}); null if none.
     */
    private static Path packageDirectory(Path given) {
        Path start;
        try {
            start = given.toRealPath();
        } catch (IOException e) {
            return null;
        }
        for (Path d = Files.isDirectory(start) ? start : start.getParent(); d != null; d = d.getParent()) {
            for (Path candidate : new Path[] {d, d.resolve("node_modules").resolve("firebase-tools")}) {
                if (Files.isRegularFile(candidate.resolve("lib/emulator/storage/server.js"))) {
                    return candidate;
                }
            }
        }
        return null;
    }

    /** The server shared by every test of this JVM, stopped at exit; tests keep apart by bucket. */
    public static synchronized GcsEmulatorServer shared() throws IOException {
        if (shared == null || !shared.process.isAlive()) {
            GcsEmulatorServer s = start();
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "gcs-emulator-stop"));
            shared = s;
        }
        return shared;
    }

    /** A server of one's own. */
    public static GcsEmulatorServer start() throws IOException {
        Path tools = firebaseTools();
        Path dir = Files.createTempDirectory("gcs-emulator");
        Path launcher = dir.resolve("gcs-emulator.js");
        try (InputStream in = GcsEmulatorServer.class.getResourceAsStream("gcs-emulator.js")) {
            Files.copy(in, launcher);
        }
        ProcessBuilder pb = new ProcessBuilder("node", launcher.toString(), tools.toString());
        pb.environment().put("TMPDIR", dir.toString()); // its objects, apart from other servers'
        // stdin stays open: the server exits when it closes
        ServerProcess.Started s = ServerProcess.start(pb, LISTENING, "gcs-emulator");
        return new GcsEmulatorServer(dir, s.process(), URI.create(s.listening().group(1)));
    }

    /** {@code http://127.0.0.1:port}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Settings reaching {@code endpoint} (this server or a relay in front) without credentials. */
    public static GcsSettings settings(URI endpoint) {
        return GcsSettings.of(endpoint, new GcsCredentials.None());
    }

    /**
     * Writes a well-formed service account key file of a fresh RSA key whose tokens come from
     * {@code tokenUri} (e.g. this emulator, which has no token endpoint and refuses).
     */
    public static Path serviceAccountKey(Path file, String tokenUri) throws IOException {
        KeyPairGenerator g;
        try {
            g = KeyPairGenerator.getInstance("RSA");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        g.initialize(2048);
        // the line breaks of the key as JSON escapes
        String pem = "-----BEGIN PRIVATE KEY-----\\n" + Base64.getEncoder().encodeToString(
                g.generateKeyPair().getPrivate().getEncoded()) + "\\n-----END PRIVATE KEY-----\\n";
        return Files.writeString(file, "{\"type\": \"service_account\", \"project_id\": \"p\","
                + " \"private_key_id\": \"k1\", \"private_key\": \"" + pem + "\", \"client_email\":"
                + " \"restore@p.iam.gserviceaccount.com\", \"client_id\": \"1\", \"token_uri\": \"" + tokenUri + "\"}");
    }

    /** {@code STORAGE_EMULATOR_HOST} for {@code endpoint}. */
    public static String emulatorHost(URI endpoint) {
        return endpoint.getHost() + ":" + endpoint.getPort();
    }

    /** A new bucket name, unused so far (the emulator creates a bucket when a request names it). */
    public String createBucket() {
        return "b" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
    }

    /** Uploads (or replaces) {@code object}; its new generation. */
    public long put(String bucket, String object, byte[] content) throws IOException {
        return upload(bucket, object, new ByteArrayContent("application/octet-stream", content));
    }

    /** Uploads a file; its generation. */
    public long put(String bucket, String object, Path file) throws IOException {
        return upload(bucket, object, new FileContent("application/octet-stream", file.toFile()));
    }

    /** A simple media upload ({@code uploadType=media}): the emulator parses no metadata part then. */
    private long upload(String bucket, String object, AbstractInputStreamContent content) throws IOException {
        GenericUrl url = new GenericUrl(endpoint + "/upload/storage/v1/b/" + bucket + "/o");
        url.set("uploadType", "media");
        url.set("name", object);
        HttpResponse r = http.buildPostRequest(url, content).execute();
        try {
            return GsonFactory.getDefaultInstance().fromInputStream(r.getContent(), StorageObject.class)
                    .getGeneration();
        } finally {
            r.disconnect();
        }
    }

    /** Deletes {@code object}. */
    public void delete(String bucket, String object) throws IOException {
        admin.objects().delete(bucket, object).execute();
    }

    @Override
    public void close() {
        ServerProcess.stop(process, dir);
    }
}
