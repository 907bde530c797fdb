package io.qcow2j.s3;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach an S3-compatible object store: endpoint, region, addressing, TLS trust, credentials,
 * SSE-C key, connection pool and retries. Immutable; made with {@link #builder()} or
 * {@link #fromEnvironment(Map)}. {@link #toString()} never shows a secret.
 */
public final class S3Settings {
    /** Where the credentials come from. */
    public enum CredentialsSource {
        /** The SDK's default chain: {@code AWS_*} variables, shared config and credentials files, profiles. */
        DEFAULT_CHAIN,
        /** One profile of a shared credentials (INI) file, or of the default files when no file is named. */
        PROFILE,
        /** An access key pair given explicitly (with an optional session token). */
        STATIC,
        /** A role assumed with STS {@code AssumeRoleWithWebIdentity}, with the token read from a file. */
        WEB_IDENTITY
    }

    static final int SSE_C_KEY_BYTES = 32;

    private final String region;
    private final URI endpoint;
    private final Boolean pathStyle;
    private final String caCertificatePem;
    private final boolean insecureSkipTlsVerify;
    private final CredentialsSource credentialsSource;
    private final Path credentialsFile;
    private final String credentialsFileOrigin;
    private final Path configFile;
    private final String configFileOrigin;
    private final String profile;
    private final String roleArn;
    private final Path webIdentityTokenFile;
    private final String webIdentityTokenOrigin;
    private final String roleSessionName;
    private final URI stsEndpoint;
    private final boolean requireEntityTag;
    private final Duration requestDeadlineBase;
    private final long requestDeadlineBytesPerSecond;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final byte[] sseCustomerKey;
    private final int maxConnections;
    private final int maxAttempts;
    private final Duration baseBackoff;
    private final Duration maxBackoff;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private S3Settings(Builder b) {
        region = b.region;
        endpoint = b.endpoint;
        pathStyle = b.pathStyle;
        caCertificatePem = b.caCertificatePem;
        insecureSkipTlsVerify = b.insecureSkipTlsVerify;
        credentialsSource = b.credentialsSource;
        credentialsFile = b.credentialsFile;
        credentialsFileOrigin = b.credentialsFileOrigin;
        configFile = b.configFile;
        configFileOrigin = b.configFileOrigin;
        profile = b.profile;
        roleArn = b.roleArn;
        webIdentityTokenFile = b.webIdentityTokenFile;
        webIdentityTokenOrigin = b.webIdentityTokenOrigin;
        roleSessionName = b.roleSessionName;
        stsEndpoint = b.stsEndpoint;
        requireEntityTag = b.requireEntityTag;
        requestDeadlineBase = b.requestDeadlineBase;
        requestDeadlineBytesPerSecond = b.requestDeadlineBytesPerSecond;
        accessKeyId = b.accessKeyId;
        secretAccessKey = b.secretAccessKey;
        sessionToken = b.sessionToken;
        sseCustomerKey = b.sseCustomerKey == null ? null : b.sseCustomerKey.clone();
        maxConnections = b.maxConnections;
        maxAttempts = b.maxAttempts;
        baseBackoff = b.baseBackoff;
        maxBackoff = b.maxBackoff;
        connectTimeout = b.connectTimeout;
        readTimeout = b.readTimeout;
    }

    /**
     * Connections by default, the ceiling on requests in flight: each request of a restore carries
     * about 700 KB (S1), so 64 in flight sustain about 900 MB/s at 50 ms a round trip (32: 450 MB/s,
     * which bounded a restore at 50 to 200 ms; docs/decisions.md). At 20 ms that is 3,200 requests a
     * second at most, under S3's 5,500 GET a second per prefix.
     */
    static final int DEFAULT_MAX_CONNECTIONS = 64;

    /** A builder with the defaults: default credentials chain, 64 connections, 5 attempts, 100 ms to 5 s backoff. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Settings from the standard AWS variables in {@code env} (pass {@code System.getenv()} for the
     * process): {@code AWS_REGION} (else {@code AWS_DEFAULT_REGION}); {@code AWS_ENDPOINT_URL_S3} (else
     * {@code AWS_ENDPOINT_URL}); {@code AWS_ENDPOINT_URL_STS} (else {@code AWS_ENDPOINT_URL}) for STS;
     * {@code AWS_ACCESS_KEY_ID} with {@code AWS_SECRET_ACCESS_KEY} and {@code AWS_SESSION_TOKEN} as
     * static credentials, else {@code AWS_ROLE_ARN} with {@code AWS_WEB_IDENTITY_TOKEN_FILE} (and
     * {@code AWS_ROLE_SESSION_NAME}) as web identity, else {@code AWS_SHARED_CREDENTIALS_FILE} and/or
     * {@code AWS_PROFILE} as a profile, else the SDK's default chain; {@code AWS_CONFIG_FILE};
     * {@code AWS_CA_BUNDLE} (a PEM file, read now, bounded); {@code AWS_MAX_ATTEMPTS}. Everything
     * else keeps the builder's defaults.
     *
     * @throws IllegalArgumentException naming the variable whose value is unusable
     */
    public static S3Settings fromEnvironment(Map<String, String> env) {
        return AwsEnvironment.settings(env);
    }

    /** The region, if set; otherwise the SDK's environment and profile settings, then {@code us-east-1}. */
    public Optional<String> region() {
        return Optional.ofNullable(region);
    }

    /** The endpoint override, if set; otherwise {@code AWS_ENDPOINT_URL(_S3)} of the process, then AWS. */
    public Optional<URI> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /** Path-style addressing when set; empty means automatic (see {@link #usesPathStyle(URI)}). */
    public Optional<Boolean> pathStyle() {
        return Optional.ofNullable(pathStyle);
    }

    /**
     * Whether requests to {@code effectiveEndpoint} use path-style addressing: the explicit setting,
     * else yes when the endpoint's host is an IP literal or {@code localhost} (no DNS name exists there
     * for a bucket sub-domain), else no.
     */
    public boolean usesPathStyle(URI effectiveEndpoint) {
        if (pathStyle != null) {
            return pathStyle;
        }
        if (effectiveEndpoint == null || effectiveEndpoint.getHost() == null) {
            return false;
        }
        String host = effectiveEndpoint.getHost().toLowerCase(Locale.ROOT);
        return host.equals("localhost") || host.startsWith("[") || host.indexOf(':') >= 0
                || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** Extra CA certificates (PEM), trusted in addition to the JDK's default trust store. */
    public Optional<String> caCertificatePem() {
        return Optional.ofNullable(caCertificatePem);
    }

    /** Whether certificate and host name checks are skipped (test endpoints only). */
    public boolean insecureSkipTlsVerify() {
        return insecureSkipTlsVerify;
    }

    /** Where credentials come from. */
    public CredentialsSource credentialsSource() {
        return credentialsSource;
    }

    /** The shared credentials file of {@link CredentialsSource#PROFILE}; empty for the default files. */
    public Optional<Path> credentialsFile() {
        return Optional.ofNullable(credentialsFile);
    }

    /** What named {@link #credentialsFile()} (a variable, for messages); "credentials file" by default. */
    public String credentialsFileOrigin() {
        return credentialsFileOrigin == null ? "credentials file" : credentialsFileOrigin;
    }

    /**
     * A shared config file read besides the credentials file (region, roles, {@code credential_process}),
     * e.g. {@code AWS_CONFIG_FILE}; empty for none besides the default {@code ~/.aws/config}.
     */
    public Optional<Path> configFile() {
        return Optional.ofNullable(configFile);
    }

    /** What named {@link #configFile()}; "config file" by default. */
    public String configFileOrigin() {
        return configFileOrigin == null ? "config file" : configFileOrigin;
    }

    /** The profile: of {@link CredentialsSource#PROFILE}, and whose region applies; empty for {@code default}. */
    public Optional<String> profile() {
        return Optional.ofNullable(profile);
    }

    /** The role of {@link CredentialsSource#WEB_IDENTITY}. */
    public Optional<String> roleArn() {
        return Optional.ofNullable(roleArn);
    }

    /** The token file of {@link CredentialsSource#WEB_IDENTITY}, read at every refresh. */
    public Optional<Path> webIdentityTokenFile() {
        return Optional.ofNullable(webIdentityTokenFile);
    }

    /** What named {@link #webIdentityTokenFile()}; "web identity token file" by default. */
    public String webIdentityTokenOrigin() {
        return webIdentityTokenOrigin == null ? "web identity token file" : webIdentityTokenOrigin;
    }

    /** The STS session name of {@link CredentialsSource#WEB_IDENTITY}; empty for a generated one. */
    public Optional<String> roleSessionName() {
        return Optional.ofNullable(roleSessionName);
    }

    /** The STS endpoint (web identity, roles); empty for AWS's regional one. */
    public Optional<URI> stsEndpoint() {
        return Optional.ofNullable(stsEndpoint);
    }

    /**
     * Whether an object whose HEAD has no entity tag is refused: without one a change during the
     * restore cannot be detected. When false (the default), it is read with a warning.
     */
    public boolean requireEntityTag() {
        return requireEntityTag;
    }

    /** The fixed part of each request's deadline; see {@link #requestDeadline(long)}. */
    public Duration requestDeadlineBase() {
        return requestDeadlineBase;
    }

    /** The slowest transfer rate a request's deadline allows; see {@link #requestDeadline(long)}. */
    public long requestDeadlineBytesPerSecond() {
        return requestDeadlineBytesPerSecond;
    }

    /**
     * The longest one attempt at a request of {@code bytes} may take, headers and body:
     * {@code base + bytes / rate} (defaults 60 s and 32 KiB/s: 188 s for 4 MiB). A server that
     * trickles bytes never trips the per-read timeout; this bounds it, and the attempt is retried.
     */
    public Duration requestDeadline(long bytes) {
        return requestDeadlineBase.plusNanos(
                (long) Math.min(Long.MAX_VALUE / 4.0, bytes * 1e9 / requestDeadlineBytesPerSecond));
    }

    String accessKeyId() {
        return accessKeyId;
    }

    String secretAccessKey() {
        return secretAccessKey;
    }

    String sessionToken() {
        return sessionToken;
    }

    /** Whether an SSE-C customer key is set (the key itself is not exposed). */
    public boolean hasSseCustomerKey() {
        return sseCustomerKey != null;
    }

    byte[] sseCustomerKey() {
        return sseCustomerKey == null ? null : sseCustomerKey.clone();
    }

    /** Most HTTP connections open at once (the client's pool size). */
    public int maxConnections() {
        return maxConnections;
    }

    /** Attempts per read or HEAD, the first included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The first retry's backoff ceiling; each further retry doubles it, up to {@link #maxBackoff()}. */
    public Duration baseBackoff() {
        return baseBackoff;
    }

    /** Largest backoff ceiling. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** TCP (and TLS) connect timeout. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Longest wait for the next bytes of a response. */
    public Duration readTimeout() {
        return readTimeout;
    }

    @Override
    public String toString() {
        return "S3Settings[region=" + region + ", endpoint=" + endpoint + ", pathStyle=" + pathStyle
                + ", caCertificate=" + (caCertificatePem != null) + ", insecureSkipTlsVerify=" + insecureSkipTlsVerify
                + ", credentials=" + credentialsSource
                + (credentialsSource == CredentialsSource.PROFILE ? "(" + credentialsFile + ", " + profile + ")" : "")
                + (credentialsSource == CredentialsSource.WEB_IDENTITY ? "(" + roleArn + ", " + webIdentityTokenFile
                + ")" : "") + ", configFile=" + configFile + ", stsEndpoint=" + stsEndpoint
                + ", requireEntityTag=" + requireEntityTag
                + ", sseC=" + hasSseCustomerKey() + ", maxConnections=" + maxConnections
                + ", maxAttempts=" + maxAttempts + ", backoff=" + baseBackoff + ".." + maxBackoff
                + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }

    /** Builds {@link S3Settings}; not thread-safe. */
    public static final class Builder {
        private String region;
        private URI endpoint;
        private Boolean pathStyle;
        private String caCertificatePem;
        private boolean insecureSkipTlsVerify;
        private CredentialsSource credentialsSource = CredentialsSource.DEFAULT_CHAIN;
        private Path credentialsFile;
        private String credentialsFileOrigin;
        private Path configFile;
        private String configFileOrigin;
        private String profile;
        private String roleArn;
        private Path webIdentityTokenFile;
        private String webIdentityTokenOrigin;
        private String roleSessionName;
        private URI stsEndpoint;
        private boolean requireEntityTag;
        private Duration requestDeadlineBase = Duration.ofSeconds(60);
        private long requestDeadlineBytesPerSecond = 32 << 10;
        private String accessKeyId;
        private String secretAccessKey;
        private String sessionToken;
        private byte[] sseCustomerKey;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxAttempts = 5;
        private Duration baseBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        private Builder(S3Settings s) {
            region = s.region;
            endpoint = s.endpoint;
            pathStyle = s.pathStyle;
            caCertificatePem = s.caCertificatePem;
            insecureSkipTlsVerify = s.insecureSkipTlsVerify;
            credentialsSource = s.credentialsSource;
            credentialsFile = s.credentialsFile;
            credentialsFileOrigin = s.credentialsFileOrigin;
            configFile = s.configFile;
            configFileOrigin = s.configFileOrigin;
            profile = s.profile;
            roleArn = s.roleArn;
            webIdentityTokenFile = s.webIdentityTokenFile;
            webIdentityTokenOrigin = s.webIdentityTokenOrigin;
            roleSessionName = s.roleSessionName;
            stsEndpoint = s.stsEndpoint;
            requireEntityTag = s.requireEntityTag;
            requestDeadlineBase = s.requestDeadlineBase;
            requestDeadlineBytesPerSecond = s.requestDeadlineBytesPerSecond;
            accessKeyId = s.accessKeyId;
            secretAccessKey = s.secretAccessKey;
            sessionToken = s.sessionToken;
            sseCustomerKey = s.sseCustomerKey;
            maxConnections = s.maxConnections;
            maxAttempts = s.maxAttempts;
            baseBackoff = s.baseBackoff;
            maxBackoff = s.maxBackoff;
            connectTimeout = s.connectTimeout;
            readTimeout = s.readTimeout;
        }

        /** The region, e.g. {@code eu-west-1}; null to resolve it from the environment. */
        public Builder region(String region) {
            this.region = region == null || region.isBlank() ? null : region.trim();
            return this;
        }

        /**
         * The endpoint, e.g. {@code https://minio.example:9000}; null for the process's
         * {@code AWS_ENDPOINT_URL}, else AWS.
         *
         * @throws IllegalArgumentException when it is not an http(s) URL with a host
         */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint == null ? null : AwsEnvironment.checkEndpoint(endpoint);
            return this;
        }

        /** Path-style addressing on ({@code true}) or off ({@code false}); null for automatic. */
        public Builder pathStyle(Boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        /**
         * CA certificates in PEM, trusted in addition to the JDK's default trust store (a private CA
         * for the store must not stop other endpoints from working); null for none. Parsed when the
         * {@link ObjectStore} is created.
         */
        public Builder caCertificatePem(String pem) {
            this.caCertificatePem = pem == null || pem.isBlank() ? null : pem;
            return this;
        }

        /** Skips certificate and host name verification; for test endpoints only. */
        public Builder insecureSkipTlsVerify(boolean skip) {
            this.insecureSkipTlsVerify = skip;
            return this;
        }

        /** Credentials from the SDK's default chain (the default). */
        public Builder defaultCredentials() {
            credentialsSource = CredentialsSource.DEFAULT_CHAIN;
            credentialsFile = null;
            credentialsFileOrigin = null;
            roleArn = null;
            webIdentityTokenFile = null;
            webIdentityTokenOrigin = null;
            roleSessionName = null;
            accessKeyId = secretAccessKey = sessionToken = null;
            return this;
        }

        /**
         * Credentials from profile {@code profile} (null: {@code AWS_PROFILE}, else {@code default}) of
         * the shared credentials INI file {@code file} (null: the SDK's default config and credentials files).
         */
        public Builder profileCredentials(Path file, String profile) {
            return profileCredentials(file, profile, null);
        }

        /**
         * As {@link #profileCredentials(Path, String)}, {@code origin} naming what named the file (e.g.
         * the variable) in messages. The file is read as the AWS SDKs read it when it is given both as
         * the shared credentials and the shared config file: its {@code [name]} and
         * {@code [profile name]} sections, {@code region}, {@code role_arn} with
         * {@code web_identity_token_file} or {@code source_profile}, {@code credential_process}.
         */
        public Builder profileCredentials(Path file, String profile, String origin) {
            defaultCredentials();
            credentialsSource = CredentialsSource.PROFILE;
            credentialsFile = file;
            credentialsFileOrigin = origin;
            return profile(profile);
        }

        /** The profile whose settings (region, credentials) apply; null for {@code default}. */
        public Builder profile(String profile) {
            this.profile = profile == null || profile.isBlank() ? null : profile.trim();
            return this;
        }

        /** A shared config file to read besides the credentials file; null for the default one. */
        public Builder configFile(Path file, String origin) {
            this.configFile = file;
            this.configFileOrigin = file == null ? null : origin;
            return this;
        }

        /**
         * Credentials from STS {@code AssumeRoleWithWebIdentity}: role {@code roleArn}, the token read
         * from {@code tokenFile} at every refresh, session {@code sessionName} (null: generated).
         */
        public Builder webIdentityCredentials(String roleArn, Path tokenFile, String sessionName) {
            return webIdentityCredentials(roleArn, tokenFile, sessionName, null);
        }

        /** As {@link #webIdentityCredentials(String, Path, String)}, {@code origin} naming the token file's source. */
        public Builder webIdentityCredentials(String roleArn, Path tokenFile, String sessionName, String origin) {
            defaultCredentials();
            this.webIdentityTokenOrigin = origin;
            credentialsSource = CredentialsSource.WEB_IDENTITY;
            this.roleArn = Objects.requireNonNull(roleArn, "roleArn").trim();
            this.webIdentityTokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
            this.roleSessionName = sessionName == null || sessionName.isBlank() ? null : sessionName.trim();
            return this;
        }

        /**
         * The STS endpoint, e.g. {@code http://127.0.0.1:9001}; null for AWS's.
         *
         * @throws IllegalArgumentException when it is not an http(s) URL with a host
         */
        public Builder stsEndpoint(URI endpoint) {
            this.stsEndpoint = endpoint == null ? null : AwsEnvironment.checkEndpoint(endpoint);
            return this;
        }

        /** Refuses objects whose HEAD has no entity tag instead of warning (default false). */
        public Builder requireEntityTag(boolean require) {
            this.requireEntityTag = require;
            return this;
        }

        /**
         * Each request attempt's deadline, {@code base + bytes / bytesPerSecond} (defaults 60 s and
         * 32 KiB/s); an attempt past it is abandoned and retried.
         */
        public Builder requestDeadline(Duration base, long bytesPerSecond) {
            if (bytesPerSecond < 1) {
                throw new IllegalArgumentException("bytesPerSecond must be at least 1, got " + bytesPerSecond);
            }
            this.requestDeadlineBase = positive(base, "requestDeadline base");
            this.requestDeadlineBytesPerSecond = bytesPerSecond;
            return this;
        }

        /** An explicit access key pair; {@code sessionToken} may be null. */
        public Builder staticCredentials(String accessKeyId, String secretAccessKey, String sessionToken) {
            defaultCredentials();
            credentialsSource = CredentialsSource.STATIC;
            this.accessKeyId = Objects.requireNonNull(accessKeyId, "accessKeyId");
            this.secretAccessKey = Objects.requireNonNull(secretAccessKey, "secretAccessKey");
            this.sessionToken = sessionToken == null || sessionToken.isBlank() ? null : sessionToken;
            return this;
        }

        /**
         * An SSE-C customer key (32 raw bytes, AES-256), sent with every HEAD and GET; null for none.
         *
         * @throws IllegalArgumentException when it is not 32 bytes long
         */
        public Builder sseCustomerKey(byte[] key) {
            if (key != null && key.length != SSE_C_KEY_BYTES) {
                throw new IllegalArgumentException("SSE-C key must be " + SSE_C_KEY_BYTES + " bytes, got " + key.length);
            }
            this.sseCustomerKey = key == null ? null : key.clone();
            return this;
        }

        /** Size of the connection pool, at least 1 (default 64); set it to the number of reader threads or more. */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1, got " + n);
            }
            this.maxConnections = n;
            return this;
        }

        /** Attempts per operation, the first included: 1 (no retry) to 100 (default 5). */
        public Builder maxAttempts(int n) {
            if (n < 1 || n > 100) {
                throw new IllegalArgumentException("maxAttempts must be 1 to 100, got " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /**
         * Backoff bounds (defaults 100 ms and 5 s): retry {@code k} sleeps a uniformly random time
         * between 0 and {@code min(max, base * 2^(k-1))} (full jitter).
         */
        public Builder backoff(Duration base, Duration max) {
            if (base.isNegative() || max.compareTo(base) < 0) {
                throw new IllegalArgumentException("backoff needs 0 <= base <= max, got " + base + " and " + max);
            }
            this.baseBackoff = base;
            this.maxBackoff = max;
            return this;
        }

        /** Connect timeout (default 10 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** Longest silence while waiting for response bytes (default 30 s); a timeout is retried. */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }

        /** The immutable settings. */
        public S3Settings build() {
            return new S3Settings(this);
        }
    }
}
