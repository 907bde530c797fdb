package io.qcow2j.cli.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.azure.testing.AzuriteServer;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.remote.BackupImages;
import io.qcow2j.cli.remote.DatamoverTarget;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datamover-restore} with {@code KUBEVIRT_DM_BSL_PROVIDER=azure}, {@code restore az://…} and
 * {@code restore-vm --container} against Azurite on loopback, compared with the downloader's
 * workflow (download, chained {@code rebase -u}, {@code convert}); then the ways the store or the
 * configuration can be wrong: one {@code error:} line, the exit code of the contract, the target
 * untouched.
 */
@RequiresQemu
class AzureRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static BackupImages images;
    private static AzuriteServer server;

    @TempDir
    Path dir;
    DatamoverTarget dm;
    Path credentials;
    FaultProxy proxy;

    /** Per test, not per class: without Azurite each test is reported skipped, not the class silently. */
    @BeforeEach
    void setUp() throws IOException {
        server = AzuriteServer.shared();
        images = BackupImages.shared();
        dm = new DatamoverTarget(images, dir);
        // Velero's Azure credentials file, as the BSL's secret holds it
        credentials = Files.writeString(dir.resolve("cloud"), "# velero azure credentials\n"
                + "AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000\nAZURE_RESOURCE_GROUP=rg\n"
                + "AZURE_STORAGE_ACCOUNT_ACCESS_KEY=" + AzuriteServer.KEY + "\nAZURE_CLOUD_NAME=AzurePublicCloud\n");
    }

    @AfterEach
    void closeProxy() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
    }

    private String upload() throws IOException {
        String container = server.createContainer();
        BackupImages.upload(dm.layout, (key, content) -> server.put(container, key, content));
        return container;
    }

    /** The controller's environment for an azure BSL reached at {@code endpoint}. */
    private Map<String, String> env(String container, String backup, String volume, URI endpoint) {
        Map<String, String> env = dm.baseEnv("azure", container, backup, volume);
        env.put("KUBEVIRT_DM_BSL_REGION", "");
        env.put("KUBEVIRT_DM_BSL_S3_URL", "");
        env.put("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT", AzuriteServer.ACCOUNT);
        env.put("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI", endpoint.toString());
        env.put("KUBEVIRT_DM_BSL_RESOURCE_GROUP", "rg");
        env.put("KUBEVIRT_DM_BSL_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000");
        env.put("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_KEY_ENV_VAR", "");
        env.put("KUBEVIRT_DM_BSL_USE_AAD", "false");
        env.put("KUBEVIRT_DM_BSL_ACTIVE_DIRECTORY_AUTHORITY_URI", "");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", credentials.toString());
        return env;
    }

    private Map<String, String> env(String container, String backup) {
        return env(container, backup, "rootdisk", server.endpoint());
    }

    private URI relayed() throws IOException {
        proxy = FaultProxy.start(server.endpoint());
        return proxy.endpoint().resolve("/" + AzuriteServer.ACCOUNT);
    }

    // ---- restores ----

    @Test
    void restoresBothDisksAsTheDownloaderDoesFetchingOnlyWinningClusters() throws IOException {
        String container = upload();
        URI endpoint = relayed();
        JsonNode s = dm.assertRestored(DatamoverTarget.run(env(container, "b3", "rootdisk", endpoint)), "b3",
                "rootdisk");
        assertEquals("controller", s.path("layout").asText());
        assertEquals("rootdisk-pvc", s.path("pvc").asText());
        long fetched = s.path("bytes-fetched").asLong();
        assertTrue(fetched > 0 && fetched < s.path("image-bytes").asLong(), s.toString());
        // what crossed the wire (bodies and headers) is what the summary says, and less than the images
        assertTrue(proxy.bytesToClient() >= fetched && proxy.bytesToClient() < s.path("image-bytes").asLong(),
                proxy.bytesToClient() + " bytes relayed; " + s);
        assertTrue(proxy.requests().stream().filter(r -> r.method().equals("GET"))
                .allMatch(r -> r.header("If-Match") != null && r.header("x-ms-range") != null), "unpinned GET");
        Files.delete(dm.target);
        dm.assertRestored(DatamoverTarget.run(env(container, "b5", "datadisk", server.endpoint())), "b5", "datadisk");
    }

    @Test
    void connectionsCutMidBodyAreRetriedAndTheDiskIsStillRight() throws IOException {
        String container = upload();
        URI endpoint = relayed();
        proxy.cutEveryKthConnection(2, 40_000, FaultProxy.Cut.RESET);
        JsonNode s = dm.assertRestored(DatamoverTarget.run(env(container, "b3", "rootdisk", endpoint)), "b3",
                "rootdisk");
        assertTrue(s.path("retries").asLong() > 0, s.toString());
    }

    @Test
    void aBlobReplacedMidRestoreStopsTheRestore() throws IOException {
        String container = upload();
        String key = BackupImages.PREFIX + "/" + dm.layout.key("cp1", "rootdisk");
        byte[] other = Files.readAllBytes(images.chain("b5", "rootdisk").get(0));
        byte[] replaced = java.util.Arrays.copyOf(other, (int) Files.size(images.chain("b3", "rootdisk").get(0)));
        URI endpoint = relayed();
        // metadata reads are at most 256 KiB (the opening read-ahead, L2 tables): a larger GET is data;
        // the SDK sends the blob name's slashes as %2F
        proxy.onceBefore(r -> r.method().equals("GET") && r.target().endsWith(key.substring(key.lastIndexOf('/') + 1))
                && DatamoverTarget.rangeLength(r.header("x-ms-range")) > 256 << 10,
                () -> server.put(container, key, replaced));
        CliRun r = DatamoverTarget.run(env(container, "b3", "rootdisk", endpoint));
        dm.assertRefused(r, 4, "az://" + container + "/" + key, "changed since it was opened");
        assertEquals("incomplete", JSON.readTree(r.out()).path("error").path("kind").asText(), r.out());
    }

    @Test
    void restoreOfAzUrisWithAConnectionString() throws IOException {
        dm.assertRestoresObjects(connectionStringEnv(), "az", upload());
    }

    @Test
    void restoreVmFromAContainer() throws IOException {
        dm.assertRestoresVm(connectionStringEnv(), "--container", upload());
    }

    @Test
    void datamoverVerifyListsTheContainer() throws IOException {
        String container = upload();
        CliRun v = CliRun.cli(env(container, "b3"), "datamover-verify", "--json");
        assertEquals(0, v.exit(), v.err());
        JsonNode report = JSON.readTree(v.out());
        assertEquals(1, report.path("checked").asInt(), "the volume of the environment only: " + report);
        assertTrue(report.path("requests").asLong() > 0, report.toString());
        Map<String, String> all = env(container, "b3");
        all.remove("KUBEVIRT_DM_VELERO_BACKUP_NAME");
        all.remove("KUBEVIRT_DM_TARGET_VOLUME");
        CliRun whole = CliRun.cli(all, "datamover-verify", "--json");
        assertEquals(0, whole.exit(), whole.err());
        assertTrue(JSON.readTree(whole.out()).path("checked").asInt() > 1, whole.out());
    }

    private Map<String, String> connectionStringEnv() {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_") && !k.startsWith("AZURE_")) {
                env.put(k, v);
            }
        });
        env.put("AZURE_STORAGE_CONNECTION_STRING", AzuriteServer.connectionString(server.endpoint()));
        return env;
    }

    // ---- refusals ----

    @Test
    void aWrongKeyIsExit3NamingTheBlob() throws IOException {
        String container = upload();
        Files.writeString(credentials, "AZURE_STORAGE_ACCOUNT_ACCESS_KEY="
                + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        dm.assertRefused(DatamoverTarget.run(env(container, "b3")), 3, "az://" + container + "/"
                + BackupImages.PREFIX + "/manifests/b3/", "access denied");
    }

    @Test
    void aMissingContainerOrBlobIsNamed() throws IOException {
        dm.assertRefused(DatamoverTarget.run(env("no-such-container", "b3")), 3,
                "container 'no-such-container' does not exist");
        String container = upload();
        String key = BackupImages.PREFIX + "/" + dm.layout.key("cp2", "rootdisk");
        server.delete(container, key);
        dm.assertRefused(DatamoverTarget.run(env(container, "b3")), 3, dm.layout.key("cp2", "rootdisk"),
                "checkpoint cp2", "not found");
    }

    @Test
    void aSizeMismatchIsRefused() throws IOException {
        dm.layout.file("cp3", "rootdisk").put("size", dm.layout.file("cp3", "rootdisk").path("size").asLong() + 512);
        dm.assertRefused(DatamoverTarget.run(env(upload(), "b3")), 3, dm.layout.key("cp3", "rootdisk"),
                "size mismatch");
    }

    @Test
    void missingOrMalformedAzureSettingsNameTheVariable() throws IOException {
        refusedWith("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT", null, "KUBEVIRT_DM_BSL_STORAGE_ACCOUNT is required");
        refusedWith("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT", "Not_An_Account", "not a storage account name");
        refusedWith("KUBEVIRT_DM_BSL_USE_AAD", "yes", "KUBEVIRT_DM_BSL_USE_AAD=yes", "not a boolean");
        refusedWith("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI", "ftp://x", "KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI=ftp://x");
        refusedWith("KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_KEY_ENV_VAR", "MY_KEY", "KUBEVIRT_DM_CREDENTIALS_FILE",
                "has no MY_KEY");
        refusedWith("KUBEVIRT_DM_BSL_USE_AAD", "true", "KUBEVIRT_DM_BSL_USE_AAD is true", "no Entra ID credentials");
        Files.writeString(credentials, "AZURE_STORAGE_ACCOUNT_ACCESS_KEY\n");
        dm.assertRefused(DatamoverTarget.run(env("c", "b3")), 2, "KUBEVIRT_DM_CREDENTIALS_FILE", "line 1",
                "not NAME=value");
        Files.delete(credentials);
        dm.assertRefused(DatamoverTarget.run(env("c", "b3")), 2, "KUBEVIRT_DM_CREDENTIALS_FILE");
        CliRun r = CliRun.cli(Map.of("PATH", System.getenv("PATH")), "restore", "--json", "--output",
                dm.target.toString(), "az://c/b");
        dm.assertRefused(r, 2, "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT");
    }

    /** The controller's azure environment with {@code variable} set to {@code value} (null: unset) is refused. */
    private void refusedWith(String variable, String value, String... fragments) throws IOException {
        dm.assertRefusedWith(env("c", "b3"), variable, value, fragments);
    }
}
