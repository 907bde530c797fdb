package io.qcow2j.cli;

import io.qcow2j.s3.internal.ConfigFile;
import io.qcow2j.s3.S3Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The kubevirt-datamover downloader's environment contract ({@code KUBEVIRT_DM_*}, set by the
 * controller's pod builder), read as the downloader reads it: an empty value is unset (the
 * controller sets every shared variable, many to ""); missing required variables are named in the
 * downloader's order. Unlike the downloader, a boolean that Go's {@code strconv.ParseBool} cannot
 * parse is refused instead of read as false: {@code INSECURE_SKIP_TLS_VERIFY=yes} must not quietly
 * verify, nor {@code TARGET_IS_BLOCK_DEVICE=yes} quietly replace a device node. Every problem is an
 * {@link IllegalArgumentException} naming the variable.
 */
record DatamoverEnvironment(String provider, String bucket, String prefix, String region, URI s3Url,
                            boolean forcePathStyle,
                            boolean insecureSkipTlsVerify, String caCertPem, Path credentialsFile, String profile,
                            Path sseCustomerKeyFile, String vmName, String namespace, String backup, String volume,
                            Path targetPath, boolean targetIsBlockDevice, String dataDownloadName,
                            String dataDownloadUid, List<String> unknown) {
    static final String PREFIX = "KUBEVIRT_DM_";
    static final String PROVIDER = "KUBEVIRT_DM_BSL_PROVIDER";
    static final String BUCKET = "KUBEVIRT_DM_BSL_BUCKET";
    static final String BSL_PREFIX = "KUBEVIRT_DM_BSL_PREFIX";
    static final String REGION = "KUBEVIRT_DM_BSL_REGION";
    static final String S3_URL = "KUBEVIRT_DM_BSL_S3_URL";
    static final String FORCE_PATH_STYLE = "KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE";
    static final String INSECURE = "KUBEVIRT_DM_BSL_INSECURE_SKIP_TLS_VERIFY";
    static final String CA_CERT = "KUBEVIRT_DM_BSL_CA_CERT";
    static final String CREDENTIALS_FILE = "KUBEVIRT_DM_CREDENTIALS_FILE";
    static final String PROFILE = "KUBEVIRT_DM_BSL_PROFILE";
    /** Its name is not in the controller's sources we could read; the pattern of its neighbours gives it. */
    static final String SSE_C_KEY_FILE = "KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE";
    static final String VM_NAME = "KUBEVIRT_DM_VM_NAME";
    static final String VM_NAMESPACE = "KUBEVIRT_DM_VM_NAMESPACE";
    static final String BACKUP = "KUBEVIRT_DM_VELERO_BACKUP_NAME";
    static final String TARGET_VOLUME = "KUBEVIRT_DM_TARGET_VOLUME";
    static final String TARGET_PATH = "KUBEVIRT_DM_TARGET_PATH";
    static final String TARGET_IS_BLOCK = "KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE";
    static final String DATADOWNLOAD_NAME = "KUBEVIRT_DM_DATADOWNLOAD_NAME";
    static final String DATADOWNLOAD_UID = "KUBEVIRT_DM_DATADOWNLOAD_UID";
    /** Ours: {@code json} for progress events on stderr (the downloader prints none). */
    static final String PROGRESS = "KUBEVIRT_DM_PROGRESS";
    /** Ours: refuse an object whose HEAD has no ETag (a change during the restore could not be detected). */
    static final String REQUIRE_ETAG = "KUBEVIRT_DM_REQUIRE_ETAG";
    /** Ours: the most requests to the store at once (connections, reads in flight), for gateways that need fewer. */
    static final String MAX_REQUESTS = "KUBEVIRT_DM_MAX_REQUESTS";
    /** Ours: stack traces with errors. */
    static final String DEBUG = "KUBEVIRT_DM_DEBUG";
    /** Ours: {@code json} for the JSON summary (and error object) on stdout; by default one line of text. */
    static final String SUMMARY = "KUBEVIRT_DM_SUMMARY";
    /** Ours: the digest the restored disk must have, else the restore fails (exit 4, nothing published). */
    static final String EXPECT_DIGEST = "KUBEVIRT_DM_EXPECT_DIGEST";
    static final String DEFAULT_TARGET_PATH = "/restore-data/disk.raw";
    static final String DEFAULT_CREDENTIALS_FILE = "/credentials/cloud";
    static final int SSE_C_KEY_BYTES = 32;
    /** A key file is read up to this: the key, line ends, and room to say how long a wrong one is. */
    private static final int SSE_C_KEY_MAX_FILE_BYTES = 4096;

    /**
     * Read and ignored: the scratch volume (none is needed), write-side encryption and checksums
     * (reads are decrypted by the store), other providers' settings, and names set only for logs.
     */
    private static final Set<String> IGNORED = Set.of("KUBEVIRT_DM_SCRATCH_PATH",
            "KUBEVIRT_DM_BSL_SERVER_SIDE_ENCRYPTION", "KUBEVIRT_DM_BSL_KMS_KEY_ID", "KUBEVIRT_DM_BSL_CHECKSUM_ALGORITHM",
            // Azure's resource group and subscription serve only to look the account key up through
            // Azure Resource Manager, which a restore pod does not do: the key comes from the file
            "KUBEVIRT_DM_BSL_RESOURCE_GROUP", "KUBEVIRT_DM_BSL_SUBSCRIPTION_ID",
            // GCP's KMS key encrypts what the uploader writes; reads are decrypted by Cloud Storage
            "KUBEVIRT_DM_BSL_KMS_KEY_NAME");
    private static final Set<String> KNOWN = Set.of(PROVIDER, BUCKET, BSL_PREFIX, REGION, S3_URL, FORCE_PATH_STYLE,
            INSECURE, CA_CERT, CREDENTIALS_FILE, PROFILE, SSE_C_KEY_FILE, VM_NAME, VM_NAMESPACE, BACKUP, TARGET_VOLUME,
            TARGET_PATH, TARGET_IS_BLOCK, DATADOWNLOAD_NAME, DATADOWNLOAD_UID, PROGRESS, DEBUG, REQUIRE_ETAG, SUMMARY,
            EXPECT_DIGEST, MAX_REQUESTS, AzureEnvironment.DM_STORAGE_ACCOUNT, AzureEnvironment.DM_STORAGE_ACCOUNT_URI,
            AzureEnvironment.DM_KEY_ENV_VAR, AzureEnvironment.DM_USE_AAD, AzureEnvironment.DM_AUTHORITY_URI,
            GcsEnvironment.DM_SERVICE_ACCOUNT);

    /** One variable {@code datamover-restore} reads, for its help: the name, its default, what it is. */
    record Variable(String name, String fallback, String meaning) {
    }

    /**
     * Every variable {@code datamover-restore} reads, in the help's order (docs/cli-contract.md has
     * the details). A variable read anywhere in the command belongs here.
     */
    static final List<Variable> VARIABLES = List.of(
            new Variable(PROVIDER, "required", "azure: Azure Blob Storage; gcp: Google Cloud Storage; anything else"
                    + " is S3"),
            new Variable(BUCKET, "required", "the bucket (azure: the blob container)"),
            new Variable(BSL_PREFIX, "none", "the location's prefix in full (ending in -kubevirt-datamover)"),
            new Variable(REGION, "AWS_REGION, else us-east-1", "the bucket's region"),
            new Variable(S3_URL, "AWS's endpoint", "an S3-compatible endpoint, http:// or https://"),
            new Variable(FORCE_PATH_STYLE, "false", "path-style addressing (automatic for an IP or localhost)"),
            new Variable(INSECURE, "false", "no TLS certificate check"),
            new Variable(CA_CERT, "none", "PEM text trusted besides the runtime's CAs"),
            new Variable(CREDENTIALS_FILE, DEFAULT_CREDENTIALS_FILE, "AWS shared credentials file (azure: Velero's"
                    + " dotenv file, AZURE_STORAGE_ACCOUNT_ACCESS_KEY or Entra ID AZURE_* lines; gcp: a service"
                    + " account key or external account JSON)"),
            new Variable(PROFILE, "AWS_PROFILE, else default", "the profile in that file"),
            new Variable(SSE_C_KEY_FILE, "none", "SSE-C key file, 32 bytes"),
            new Variable(VM_NAME, "required", "the VM"),
            new Variable(VM_NAMESPACE, "required", "its namespace"),
            new Variable(BACKUP, "required", "the Velero backup"),
            new Variable(TARGET_VOLUME, "required", "the volume (files[].diskName)"),
            new Variable(TARGET_PATH, DEFAULT_TARGET_PATH, "where the disk goes: a file (staged, renamed) or a"
                    + " block device"),
            new Variable(TARGET_IS_BLOCK, "false", "TARGET_PATH must be a block device"),
            new Variable(DATADOWNLOAD_NAME, "none", "reported in the summary"),
            new Variable(DATADOWNLOAD_UID, "none", "reported in the summary"),
            new Variable(SUMMARY, "text", "json: the JSON summary or error object on stdout, one line"),
            new Variable(PROGRESS, "none", "json: progress events on stderr"),
            new Variable(DEBUG, "false", "stack traces with errors"),
            new Variable(EXPECT_DIGEST, "none", "xxh64-64k:<16 hex digits>: the restored disk must have it"
                    + " (verify-backup --deep prints it), else exit 4 and nothing published"),
            new Variable(REQUIRE_ETAG, "false", "true: refuse an object whose HEAD has no ETag (else a warning)"),
            new Variable(MAX_REQUESTS, "64 (S3), 32 (Azure)", "the most requests to the store at once, 1 to 256"),
            new Variable("AWS_ACCESS_KEY_ID", "none", "with the next two: wins over the credentials file"),
            new Variable("AWS_SECRET_ACCESS_KEY", "none", "its secret"),
            new Variable("AWS_SESSION_TOKEN", "none", "a session token for that key"),
            new Variable("AWS_ROLE_ARN", "none", "with the next: a role assumed by web identity (STS)"),
            new Variable("AWS_WEB_IDENTITY_TOKEN_FILE", "none", "the token file for AWS_ROLE_ARN"),
            new Variable("AWS_ROLE_SESSION_NAME", "qcow2j-<time>", "the STS session name"),
            new Variable("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL, else AWS's", "the STS endpoint"),
            new Variable("AWS_CONFIG_FILE", "none", "an AWS config file besides the credentials file"),
            new Variable("AWS_REGION", "AWS_DEFAULT_REGION", "the region when " + REGION + " is unset"),
            new Variable("AWS_DEFAULT_REGION", "none", "see AWS_REGION"),
            new Variable("AWS_PROFILE", "default", "the profile when " + PROFILE + " is unset"),
            new Variable("AWS_SHARED_CREDENTIALS_FILE", "none", "used when " + CREDENTIALS_FILE + " does not"
                    + " exist"),
            new Variable("AWS_CA_BUNDLE", "none", "a CA bundle file"),
            new Variable("AWS_MAX_ATTEMPTS", "the SDK's", "attempts per request"),
            new Variable("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "the endpoint when " + S3_URL + " is unset"),
            new Variable("AWS_ENDPOINT_URL", "none", "see AWS_ENDPOINT_URL_S3"),
            new Variable(AzureEnvironment.DM_STORAGE_ACCOUNT, "required for azure", "the storage account"),
            new Variable(AzureEnvironment.DM_STORAGE_ACCOUNT_URI, "the account's in AZURE_CLOUD_NAME's cloud",
                    "azure: the blob endpoint, http:// or https://"),
            new Variable(AzureEnvironment.DM_KEY_ENV_VAR, AzureEnvironment.DEFAULT_KEY_VARIABLE, "azure: the"
                    + " credentials file's line holding the account key"),
            new Variable(AzureEnvironment.DM_USE_AAD, "false", "azure: Entra ID credentials (a service principal in"
                    + " the file, else workload identity) instead of the key"),
            new Variable(AzureEnvironment.DM_AUTHORITY_URI, "the cloud's", "azure: the Entra ID authority"),
            new Variable(AzureEnvironment.TENANT_ID, "none", "azure, " + AzureEnvironment.DM_USE_AAD + ": workload"
                    + " identity's tenant, with the next two"),
            new Variable(AzureEnvironment.CLIENT_ID, "none", "its client ID"),
            new Variable(AzureEnvironment.FEDERATED_TOKEN_FILE, "none", "its federated token file"),
            new Variable(GcsEnvironment.DM_SERVICE_ACCOUNT, "none", "gcp: a service account the credentials"
                    + " impersonate (its e-mail address)"),
            new Variable(GcsEnvironment.EMULATOR_HOST, "none", "gcp: a Cloud Storage emulator's host:port (tests);"
                    + " no credentials unless the credentials file exists"),
            new Variable(TerminationLog.PATH_VARIABLE, TerminationLog.DEFAULT_PATH, "where a failure's"
                    + " message goes"),
            new Variable("JAVA_OPTS", "the launcher's", "JVM options (bin/qcow2-restore)"));

    /** The help's section on the environment: each {@link #VARIABLES} entry, its default, then what it is. */
    static String help() {
        StringBuilder b = new StringBuilder("%nEnvironment (an empty value is unset; docs/cli-contract.md, in docs/ of"
                + " the distribution):%n");
        for (Variable v : VARIABLES) {
            String fallback = v.fallback().startsWith("required") ? v.fallback() : "default: " + v.fallback();
            b.append(String.format("  %s (%s)%%n      %s%%n", v.name(), fallback, v.meaning()));
        }
        b.append("Other KUBEVIRT_DM_* variables of the controller are read and ignored.%n");
        return b.toString();
    }

    static DatamoverEnvironment parse(Map<String, String> env) {
        return parse(env, List.of(PROVIDER, BUCKET, VM_NAME, VM_NAMESPACE, BACKUP, TARGET_VOLUME));
    }

    /** The location alone, for {@code datamover-verify}: the VM, backup and volume may be unset. */
    static DatamoverEnvironment parseLocation(Map<String, String> env) {
        return parse(env, List.of(PROVIDER, BUCKET));
    }

    private static DatamoverEnvironment parse(Map<String, String> env, List<String> required) {
        boolean block = bool(env, TARGET_IS_BLOCK);
        String target = get(env, TARGET_PATH);
        if (target == null && block) {
            throw new IllegalArgumentException(TARGET_PATH + " is required when " + TARGET_IS_BLOCK + " is true");
        }
        Path targetPath = Path.of(target == null ? DEFAULT_TARGET_PATH : target);
        if (!targetPath.isAbsolute()) {
            throw new IllegalArgumentException(TARGET_PATH + " must be an absolute path (got " + target + ")");
        }
        Path parent = targetPath.normalize().getParent();
        if (!block && (parent == null || parent.getParent() == null)) {
            throw new IllegalArgumentException(TARGET_PATH + " must not resolve to the filesystem root (got " + target
                    + ")");
        }
        List<String> missing = new ArrayList<>();
        for (String name : required) {
            if (get(env, name) == null) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " required");
        }
        String provider = get(env, PROVIDER).toLowerCase(Locale.ROOT);
        if (provider.equals("azure")) {
            bool(env, AzureEnvironment.DM_USE_AAD); // a malformed boolean is named now
        }
        URI s3Url = null;
        String url = get(env, S3_URL);
        if (url != null) {
            String scheme = url.toLowerCase(Locale.ROOT);
            if (!scheme.startsWith("http://") && !scheme.startsWith("https://")) {
                throw new IllegalArgumentException(S3_URL + ": invalid s3Url \"" + url
                        + "\": must start with http:// or https://");
            }
            try {
                s3Url = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(S3_URL + ": invalid s3Url \"" + url + "\": " + e.getMessage(), e);
            }
        }
        String creds = get(env, CREDENTIALS_FILE);
        String sse = get(env, SSE_C_KEY_FILE);
        List<String> unknown = new ArrayList<>(new TreeSet<>(env.keySet().stream()
                .filter(k -> k.startsWith(PREFIX) && !KNOWN.contains(k) && !IGNORED.contains(k)).toList()));
        return new DatamoverEnvironment(provider, get(env, BUCKET), get(env, BSL_PREFIX), get(env, REGION), s3Url,
                bool(env, FORCE_PATH_STYLE), bool(env, INSECURE), get(env, CA_CERT),
                Path.of(creds == null ? DEFAULT_CREDENTIALS_FILE : creds), get(env, PROFILE),
                sse == null ? null : Path.of(sse), get(env, VM_NAME), get(env, VM_NAMESPACE), get(env, BACKUP),
                get(env, TARGET_VOLUME), targetPath, block, get(env, DATADOWNLOAD_NAME), get(env, DATADOWNLOAD_UID),
                unknown);
    }

    /**
     * The S3 settings: the standard AWS configuration of {@code env}, then the BSL's. Credentials as
     * the downloader's SDK finds them: {@code AWS_ACCESS_KEY_ID} first, else the credentials file
     * (profile {@code KUBEVIRT_DM_BSL_PROFILE}, else {@code AWS_PROFILE}, else {@code default}), else,
     * when that file does not exist, the SDK's default chain (web identity, container credentials).
     *
     * @param notes receives what was decided that an operator may want to know
     */
    S3Settings settings(Map<String, String> env, List<String> notes) {
        S3Settings aws = S3Settings.fromEnvironment(env);
        S3Settings.Builder b = aws.toBuilder();
        if (region != null) {
            b.region(region);
        }
        if (s3Url != null) {
            b.endpoint(s3Url);
        }
        if (forcePathStyle) {
            b.pathStyle(true); // otherwise automatic: path style for an IP or localhost endpoint
        }
        if (caCertPem != null) {
            b.caCertificatePem(caCertPem);
        }
        b.insecureSkipTlsVerify(insecureSkipTlsVerify);
        b.requireEntityTag(bool(env, REQUIRE_ETAG));
        String maxRequests = get(env, MAX_REQUESTS);
        if (maxRequests != null) {
            b.maxConnections(ObjectStorage.maxRequests(MAX_REQUESTS, maxRequests));
        }
        // keys, then web identity, in the environment win over the file, as in the AWS SDKs
        if (aws.credentialsSource() != S3Settings.CredentialsSource.STATIC
                && aws.credentialsSource() != S3Settings.CredentialsSource.WEB_IDENTITY) {
            if (Files.exists(credentialsFile)) { // whatever it is: ObjectStore.create refuses a non-file, naming it
                String p = profile != null ? profile : get(env, "AWS_PROFILE");
                b.profileCredentials(credentialsFile, p != null ? p : "default", CREDENTIALS_FILE);
            } else {
                notes.add(CREDENTIALS_FILE + ": " + credentialsFile + " does not exist; using the AWS SDK's default"
                        + " credentials (AWS_* variables, web identity, container credentials)");
                b.defaultCredentials();
            }
        }
        if (sseCustomerKeyFile != null) {
            b.sseCustomerKey(sseKey(sseCustomerKeyFile));
        }
        return b.build();
    }

    /** Whether the backup location is a Google Cloud Storage bucket. */
    boolean gcp() {
        return provider.equals("gcp");
    }

    /**
     * The Cloud Storage settings: the credentials file, {@code KUBEVIRT_DM_BSL_SERVICE_ACCOUNT} and
     * {@code STORAGE_EMULATOR_HOST} (see {@link GcsEnvironment#forDatamover}).
     *
     * @param notes receives what was decided that an operator may want to know
     */
    io.qcow2j.gcs.GcsSettings gcsSettings(Map<String, String> env, List<String> notes) {
        io.qcow2j.gcs.GcsSettings settings = GcsEnvironment.forDatamover(env, credentialsFile, CREDENTIALS_FILE,
                notes);
        String maxRequests = get(env, MAX_REQUESTS);
        return maxRequests == null ? settings
                : settings.withMaxConnections(ObjectStorage.maxRequests(MAX_REQUESTS, maxRequests));
    }

    /** Whether the backup location is an Azure blob container. */
    boolean azure() {
        return provider.equals("azure");
    }

    /**
     * The Azure settings: the controller's {@code KUBEVIRT_DM_BSL_STORAGE_ACCOUNT*} variables and
     * Velero's credentials file (see {@link AzureEnvironment#forDatamover}).
     */
    io.qcow2j.azure.AzureSettings azureSettings(Map<String, String> env) {
        io.qcow2j.azure.AzureSettings settings = AzureEnvironment.forDatamover(env,
                bool(env, AzureEnvironment.DM_USE_AAD), credentialsFile, CREDENTIALS_FILE);
        String maxRequests = get(env, MAX_REQUESTS);
        return maxRequests == null ? settings
                : settings.withMaxConnections(ObjectStorage.maxRequests(MAX_REQUESTS, maxRequests));
    }

    /** 32 raw bytes after trailing CR and LF bytes are stripped, as the controller does. */
    private static byte[] sseKey(Path file) {
        byte[] key = ConfigFile.read(file, SSE_C_KEY_FILE, SSE_C_KEY_MAX_FILE_BYTES);
        int n = key.length;
        while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r')) {
            n--;
        }
        if (n != SSE_C_KEY_BYTES) {
            throw new IllegalArgumentException(SSE_C_KEY_FILE + ": SSE-C key must be exactly " + SSE_C_KEY_BYTES
                    + " bytes, got " + n + " (" + file + ")");
        }
        return java.util.Arrays.copyOf(key, n);
    }

    /** Whether {@code KUBEVIRT_DM_PROGRESS} asks for JSON progress events (read before parsing). */
    static boolean jsonProgress(Map<String, String> env) {
        String v = get(env, PROGRESS);
        return v != null && v.trim().equalsIgnoreCase("json");
    }

    /** Whether {@code KUBEVIRT_DM_DEBUG} asks for stack traces (read before parsing; unparsable is no). */
    static boolean debug(Map<String, String> env) {
        try {
            return bool(env, DEBUG);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether {@code KUBEVIRT_DM_SUMMARY} asks for the JSON summary (read before parsing). */
    static boolean jsonSummary(Map<String, String> env) {
        String v = get(env, SUMMARY);
        return v != null && v.trim().equalsIgnoreCase("json");
    }

    /** Checks {@code KUBEVIRT_DM_PROGRESS} (json, none) and {@code KUBEVIRT_DM_SUMMARY} (json, text), or unset. */
    static void checkProgress(Map<String, String> env) {
        checkChoice(env, PROGRESS, "none");
        checkChoice(env, SUMMARY, "text");
    }

    private static void checkChoice(Map<String, String> env, String name, String other) {
        String v = get(env, name);
        if (v != null && !v.trim().equalsIgnoreCase("json") && !v.trim().equalsIgnoreCase(other)) {
            throw new IllegalArgumentException(name + "=" + v + ": expected json or " + other);
        }
    }

    private static String get(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** Go's strconv.ParseBool; unset is false. */
    static boolean bool(Map<String, String> env, String name) {
        String v = get(env, name);
        if (v == null) {
            return false;
        }
        switch (v) {
            case "1", "t", "T", "TRUE", "true", "True":
                return true;
            case "0", "f", "F", "FALSE", "false", "False":
                return false;
            default:
                throw new IllegalArgumentException(name + "=" + v + ": not a boolean (true, false, 1, 0, t, f)");
        }
    }
}
