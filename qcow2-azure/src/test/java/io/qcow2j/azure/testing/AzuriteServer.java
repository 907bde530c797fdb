package io.qcow2j.azure.testing;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import io.qcow2j.azure.AzureCredentials;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.core.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A real Azure Blob Storage server for tests: Azurite's blob service (npm package {@code azurite}),
 * run as a child process on a free loopback port with an account of our own, its data in a
 * temporary directory, shared keys checked. The {@code azurite-blob} executable is named by the
 * system property {@value #PROPERTY} (qcow2-azure's pom passes {@code QCOW2J_AZURITE}, which
 * {@code .ci/run} sets after installing Azurite into a cache directory). Without it the tests are
 * skipped with a message saying so, unless {@code QCOW2J_REQUIRE_EMULATORS=1}, when they fail.
 */
public final class AzuriteServer implements AutoCloseable {
    public static final String PROPERTY = "qcow2j.azurite";
    public static final String ACCOUNT = "qcow2jtest";
    public static final String KEY = Base64.getEncoder().encodeToString(
            "qcow2j-azurite-test-key-32-bytes".getBytes(StandardCharsets.US_ASCII));
    private static final Pattern LISTENING = Pattern.compile("listens on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final AtomicInteger CONTAINERS = new AtomicInteger();
    private static AzuriteServer shared;

    private final Path dir;
    private final Process process;
    private final URI endpoint;
    private final BlobServiceClient admin;

    private AzuriteServer(Path dir, Process process, URI endpoint) {
        this.dir = dir;
        this.process = process;
        this.endpoint = endpoint;
        this.admin = new BlobServiceClientBuilder().endpoint(endpoint.toString())
                .httpClient(new JdkHttpClientBuilder().build())
                .credential(new StorageSharedKeyCredential(ACCOUNT, KEY)).buildClient();
    }

    /** The executable, or a skip (a failure when the emulators are required) saying how to get it. */
    public static Path executable() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank() || p.startsWith("${")) {
            p = System.getenv("QCOW2J_AZURITE");
        }
        String why = "Azurite is not installed: set QCOW2J_AZURITE to its azurite-blob executable (.ci/run installs"
                + " it with npm into a cache directory)";
        if (p == null || p.isBlank() || !Files.isExecutable(Path.of(p))) {
            ServerProcess.notInstalled(why, p == null ? null : "not executable: " + p);
        }
        return Path.of(p);
    }

    /** The server shared by every test of this JVM, stopped at exit; tests keep apart by container. */
    public static synchronized AzuriteServer shared() throws IOException {
        if (shared == null || !shared.process.isAlive()) {
            AzuriteServer s = start();
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "azurite-stop"));
            shared = s;
        }
        return shared;
    }

    /** A server of one's own. */
    public static AzuriteServer start() throws IOException {
        Path exe = executable();
        Path dir = Files.createTempDirectory("azurite");
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0",
                "--location", dir.toString(), "--disableTelemetry", "--skipApiVersionCheck",
                "--disableProductStyleUrl", "--silent");
        pb.environment().put("AZURITE_ACCOUNTS", ACCOUNT + ":" + KEY);
        ServerProcess.Started started = ServerProcess.start(pb, LISTENING, "azurite");
        return new AzuriteServer(dir, started.process(), URI.create(started.listening().group(1) + "/" + ACCOUNT));
    }

    /** {@code http://127.0.0.1:port/account}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Settings reaching {@code endpoint} (this server or a relay in front) with the account key. */
    public static AzureSettings settings(URI endpoint) {
        return AzureSettings.of(endpoint, new AzureCredentials.SharedKey(ACCOUNT, KEY));
    }

    /** A connection string for {@code endpoint}, as {@code AZURE_STORAGE_CONNECTION_STRING} holds one. */
    public static String connectionString(URI endpoint) {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
                + endpoint + ";";
    }

    /** A new, empty container. */
    public String createContainer() {
        String name = "c" + ProcessHandle.current().pid() + "-" + CONTAINERS.incrementAndGet();
        admin.createBlobContainer(name);
        return name;
    }

    /** Uploads (or replaces) {@code blob}. */
    public void put(String container, String blob, byte[] content) {
        BlobContainerClient c = admin.getBlobContainerClient(container);
        c.getBlobClient(blob).upload(BinaryData.fromBytes(content), true);
    }

    /** Uploads a file. */
    public void put(String container, String blob, Path file) throws IOException {
        admin.getBlobContainerClient(container).getBlobClient(blob).uploadFromFile(file.toString(), true);
    }

    /** Deletes {@code blob}. */
    public void delete(String container, String blob) {
        admin.getBlobContainerClient(container).getBlobClient(blob).delete();
    }

    @Override
    public void close() {
        ServerProcess.stop(process, dir);
    }
}
