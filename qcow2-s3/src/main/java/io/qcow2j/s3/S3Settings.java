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
        STATIC
    }

    static final int SSE_C_KEY_BYTES = 32;

    private final String region;
    private final URI endpoint;
    private final Boolean pathStyle;
    private final String caCertificatePem;
    private final boolean insecureSkipTlsVerify;
    private final CredentialsSource credentialsSource;
    private final Path credentialsFile;
    private final String profile;
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
        profile = b.profile;
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

    /** A builder with the defaults: default credentials chain, 32 connections, 5 attempts, 100 ms to 5 s backoff. */
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
     * {@code AWS_ENDPOINT_URL}); {@code AWS_ACCESS_KEY_ID} with {@code AWS_SECRET_ACCESS_KEY} and
     * {@code AWS_SESSION_TOKEN} as static credentials, else {@code AWS_SHARED_CREDENTIALS_FILE} and/or
     * {@code AWS_PROFILE} as a profile, else the SDK's default chain; {@code AWS_CA_BUNDLE} (a PEM file,
     * read now); {@code AWS_MAX_ATTEMPTS}. Everything else keeps the builder's defaults.
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

    /** The profile of {@link CredentialsSource#PROFILE}; empty for {@code AWS_PROFILE} or {@code default}. */
    public Optional<String> profile() {
        return Optional.ofNullable(profile);
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
        private String profile;
        private String accessKeyId;
        private String secretAccessKey;
        private String sessionToken;
        private byte[] sseCustomerKey;
        private int maxConnections = 32;
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
            profile = s.profile;
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
            profile = null;
            accessKeyId = secretAccessKey = sessionToken = null;
            return this;
        }

        /**
         * Credentials from profile {@code profile} (null: {@code AWS_PROFILE}, else {@code default}) of
         * the shared credentials INI file {@code file} (null: the SDK's default config and credentials files).
         */
        public Builder profileCredentials(Path file, String profile) {
            defaultCredentials();
            credentialsSource = CredentialsSource.PROFILE;
            credentialsFile = file;
            this.profile = profile == null || profile.isBlank() ? null : profile.trim();
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

        /** Size of the connection pool, at least 1 (default 32); set it to the number of reader threads or more. */
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
