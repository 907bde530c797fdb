package io.qcow2j.cli;

import io.qcow2j.azure.AzureCredentials;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.s3.internal.ConfigFile;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Azure Blob Storage settings from the environment, two ways: the Azure tools' usual variables (for
 * {@code restore az://…} and {@code restore-vm --container}), and the kubevirt-datamover controller's
 * BSL variables with Velero's dotenv-style credentials file (for {@code datamover-restore}). Every
 * problem is an {@link IllegalArgumentException} naming the variable or the file's key.
 */
final class AzureEnvironment {
    static final String CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING";
    static final String ACCOUNT = "AZURE_STORAGE_ACCOUNT";
    static final String KEY = "AZURE_STORAGE_KEY";
    static final String TENANT_ID = "AZURE_TENANT_ID";
    static final String CLIENT_ID = "AZURE_CLIENT_ID";
    static final String CLIENT_SECRET = "AZURE_CLIENT_SECRET";
    static final String FEDERATED_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE";
    static final String CLOUD_NAME = "AZURE_CLOUD_NAME";
    static final String DEFAULT_KEY_VARIABLE = "AZURE_STORAGE_ACCOUNT_ACCESS_KEY";

    static final String DM_STORAGE_ACCOUNT = "KUBEVIRT_DM_BSL_STORAGE_ACCOUNT";
    static final String DM_STORAGE_ACCOUNT_URI = "KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI";
    static final String DM_KEY_ENV_VAR = "KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_KEY_ENV_VAR";
    static final String DM_USE_AAD = "KUBEVIRT_DM_BSL_USE_AAD";
    static final String DM_AUTHORITY_URI = "KUBEVIRT_DM_BSL_ACTIVE_DIRECTORY_AUTHORITY_URI";
    /** The controller's Azure variables this restore reads. */
    static final List<String> DATAMOVER_VARIABLES = List.of(DM_STORAGE_ACCOUNT, DM_STORAGE_ACCOUNT_URI,
            DM_KEY_ENV_VAR, DM_USE_AAD, DM_AUTHORITY_URI);

    /** Velero's cloud names: the blob endpoint suffix and the Entra ID authority of each. */
    private record Cloud(String blobSuffix, String authority) {
    }

    private static final Map<String, Cloud> CLOUDS = Map.of(
            "AZUREPUBLICCLOUD", new Cloud("blob.core.windows.net", "https://login.microsoftonline.com/"),
            "AZUREUSGOVERNMENTCLOUD", new Cloud("blob.core.usgovcloudapi.net", "https://login.microsoftonline.us/"),
            "AZURECHINACLOUD", new Cloud("blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn/"));

    private AzureEnvironment() {
    }

    /**
     * The Azure tools' variables: {@code AZURE_STORAGE_CONNECTION_STRING} (which also points at an
     * emulator), else {@code AZURE_STORAGE_ACCOUNT} with {@code AZURE_STORAGE_KEY}, else with a
     * service principal ({@code AZURE_TENANT_ID}, {@code AZURE_CLIENT_ID}, {@code AZURE_CLIENT_SECRET})
     * or workload identity ({@code AZURE_FEDERATED_TOKEN_FILE} instead of the secret).
     */
    static AzureSettings fromEnvironment(Map<String, String> env) {
        String cs = get(env, CONNECTION_STRING);
        if (cs != null) {
            return AzureSettings.of(null, new AzureCredentials.ConnectionString(cs));
        }
        String account = get(env, ACCOUNT);
        if (account == null) {
            throw new IllegalArgumentException("az:// needs " + CONNECTION_STRING + ", or " + ACCOUNT
                    + " with " + KEY + " or Entra ID credentials (" + TENANT_ID + ", " + CLIENT_ID + ", "
                    + CLIENT_SECRET + " or " + FEDERATED_TOKEN_FILE + ")");
        }
        URI endpoint = URI.create("https://" + checkAccount(account, ACCOUNT) + ".blob.core.windows.net");
        String key = get(env, KEY);
        if (key != null) {
            return AzureSettings.of(endpoint, new AzureCredentials.SharedKey(account, key));
        }
        return AzureSettings.of(endpoint, entraId(env, env, null, ACCOUNT + " without " + KEY));
    }

    /**
     * The controller's BSL variables and the credentials file, as Velero's Azure plugin reads them:
     * the account's shared key from the file's {@code AZURE_STORAGE_ACCOUNT_ACCESS_KEY} (or the key
     * {@code KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_KEY_ENV_VAR} names); with {@code KUBEVIRT_DM_BSL_USE_AAD}
     * true, Entra ID: a service principal from the file, else workload identity from the pod's
     * environment. The endpoint is {@code KUBEVIRT_DM_BSL_STORAGE_ACCOUNT_URI}, else the account's in
     * the file's {@code AZURE_CLOUD_NAME} (public cloud by default).
     *
     * @param useAad       the parsed {@code KUBEVIRT_DM_BSL_USE_AAD}
     * @param credentials  the credentials file
     * @param fileVariable the variable that named it, for messages
     */
    static AzureSettings forDatamover(Map<String, String> env, boolean useAad, Path credentials,
                                      String fileVariable) {
        String account = get(env, DM_STORAGE_ACCOUNT);
        if (account == null) {
            throw new IllegalArgumentException(DM_STORAGE_ACCOUNT + " is required when "
                    + DatamoverEnvironment.PROVIDER + " is azure");
        }
        checkAccount(account, DM_STORAGE_ACCOUNT);
        String origin = fileVariable + ": " + credentials;
        Map<String, String> file = dotenv(ConfigFile.readString(credentials, fileVariable,
                ConfigFile.MAX_PROFILE_BYTES), origin);
        String cloudName = file.get(CLOUD_NAME);
        Cloud cloud = CLOUDS.get(cloudName == null ? "AZUREPUBLICCLOUD" : cloudName.toUpperCase(Locale.ROOT));
        if (cloud == null) {
            throw new IllegalArgumentException(origin + ": " + CLOUD_NAME + "=" + cloudName + " is not a known cloud ("
                    + "AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud); set " + DM_STORAGE_ACCOUNT_URI
                    + " and " + DM_AUTHORITY_URI + " for another");
        }
        URI endpoint = httpUri(env, DM_STORAGE_ACCOUNT_URI);
        if (endpoint == null) {
            endpoint = URI.create("https://" + account + "." + cloud.blobSuffix());
        }
        if (useAad) {
            URI authority = httpUri(env, DM_AUTHORITY_URI);
            return AzureSettings.of(endpoint, entraId(file, env, authority != null ? authority
                    : URI.create(cloud.authority()), DM_USE_AAD + " is true"));
        }
        String keyVariable = get(env, DM_KEY_ENV_VAR) != null ? get(env, DM_KEY_ENV_VAR).trim() : DEFAULT_KEY_VARIABLE;
        String key = file.get(keyVariable);
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException(origin + " has no " + keyVariable + " (the storage account key"
                    + (keyVariable.equals(DEFAULT_KEY_VARIABLE) ? "" : ", as " + DM_KEY_ENV_VAR + " says")
                    + "); set " + DM_USE_AAD + "=true for Entra ID credentials instead");
        }
        return AzureSettings.of(endpoint, new AzureCredentials.SharedKey(account, key.trim()));
    }

    /** A service principal when {@code primary} (the file, or the environment) has a secret, else workload identity. */
    private static AzureCredentials entraId(Map<String, String> primary, Map<String, String> env, URI authority,
                                            String why) {
        String tenant = get(primary, TENANT_ID);
        String client = get(primary, CLIENT_ID);
        String secret = get(primary, CLIENT_SECRET);
        if (tenant != null && client != null && secret != null) {
            return new AzureCredentials.ServicePrincipal(tenant, client, secret, authority);
        }
        tenant = get(env, TENANT_ID);
        client = get(env, CLIENT_ID);
        String token = get(env, FEDERATED_TOKEN_FILE);
        if (tenant != null && client != null && token != null) {
            return new AzureCredentials.WorkloadIdentity(tenant, client, Path.of(token), authority);
        }
        throw new IllegalArgumentException(why + ", but there are no Entra ID credentials: " + TENANT_ID + ", "
                + CLIENT_ID + " and " + CLIENT_SECRET + ", or " + TENANT_ID + ", " + CLIENT_ID + " and "
                + FEDERATED_TOKEN_FILE + " (workload identity) in the environment");
    }

    /**
     * Velero's dotenv-style file: {@code NAME=value} lines, {@code #} comments, blank lines, an
     * optional {@code export} and quotes around the value.
     */
    static Map<String, String> dotenv(String text, String origin) {
        Map<String, String> values = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                // the line may hold a secret: say where, not what
                throw new IllegalArgumentException(origin + ": line " + (i + 1) + " is not NAME=value");
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(line.substring(0, eq).strip(), value);
        }
        return values;
    }

    private static String checkAccount(String account, String variable) {
        if (!account.matches("[a-z0-9]{3,24}")) {
            throw new IllegalArgumentException(variable + "=" + account + ": not a storage account name (3 to 24"
                    + " lower-case letters and digits)");
        }
        return account;
    }

    private static URI httpUri(Map<String, String> env, String variable) {
        String v = get(env, variable);
        if (v == null) {
            return null;
        }
        String lower = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (lower.startsWith("http://") || lower.startsWith("https://")) {
                return URI.create(v.trim());
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(variable + "=" + v + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(variable + "=" + v + ": must start with http:// or https://");
    }

    private static String get(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }
}
