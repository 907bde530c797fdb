package io.qcow2j.s3;

import io.qcow2j.s3.internal.ConfigFile;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The standard {@code AWS_*} variables, read from a map so that callers and tests choose the environment. */
final class AwsEnvironment {
    private AwsEnvironment() {
    }

    /** See {@link S3Settings#fromEnvironment(Map)}. */
    static S3Settings settings(Map<String, String> env) {
        S3Settings.Builder b = S3Settings.builder();
        first(env, "AWS_REGION", "AWS_DEFAULT_REGION").ifPresent(b::region);
        endpoint(env).ifPresent(b::endpoint);
        Optional<String> keyId = first(env, "AWS_ACCESS_KEY_ID");
        Optional<String> secret = first(env, "AWS_SECRET_ACCESS_KEY");
        Optional<String> file = first(env, "AWS_SHARED_CREDENTIALS_FILE");
        Optional<String> roleArn = first(env, "AWS_ROLE_ARN");
        Optional<String> tokenFile = first(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
        first(env, "AWS_PROFILE").ifPresent(b::profile);
        first(env, "AWS_CONFIG_FILE").ifPresent(f -> b.configFile(Path.of(f), "AWS_CONFIG_FILE"));
        stsEndpoint(env).ifPresent(b::stsEndpoint);
        if (keyId.isPresent() != secret.isPresent()) {
            throw new IllegalArgumentException("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        }
        // the SDKs' order: keys in the environment, then web identity from it, then the profile
        if (keyId.isPresent()) {
            b.staticCredentials(keyId.get(), secret.get(), first(env, "AWS_SESSION_TOKEN").orElse(null));
        } else if (roleArn.isPresent() && tokenFile.isPresent()) {
            b.webIdentityCredentials(roleArn.get(), Path.of(tokenFile.get().trim()),
                    first(env, "AWS_ROLE_SESSION_NAME").orElse(null), "AWS_WEB_IDENTITY_TOKEN_FILE");
        } else if (file.isPresent() || first(env, "AWS_PROFILE").isPresent()) {
            b.profileCredentials(file.map(Path::of).orElse(null), first(env, "AWS_PROFILE").orElse(null),
                    "AWS_SHARED_CREDENTIALS_FILE");
        }
        Optional<String> caBundle = first(env, "AWS_CA_BUNDLE");
        if (caBundle.isPresent()) {
            b.caCertificatePem(ConfigFile.readString(Path.of(caBundle.get()), "AWS_CA_BUNDLE", ConfigFile.MAX_PEM_BYTES));
        }
        Optional<String> attempts = first(env, "AWS_MAX_ATTEMPTS");
        if (attempts.isPresent()) {
            int n;
            try {
                n = Integer.parseInt(attempts.get().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("AWS_MAX_ATTEMPTS: '" + attempts.get() + "' is not a number", e);
            }
            try {
                b.maxAttempts(n);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("AWS_MAX_ATTEMPTS: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** {@code AWS_ENDPOINT_URL_S3}, else {@code AWS_ENDPOINT_URL}. */
    static Optional<URI> endpoint(Map<String, String> env) {
        return endpoint(env, "AWS_ENDPOINT_URL_S3");
    }

    private static Optional<URI> endpoint(Map<String, String> env, String serviceVariable) {
        Optional<String> service = first(env, serviceVariable);
        String name = service.isPresent() ? serviceVariable : "AWS_ENDPOINT_URL";
        return service.or(() -> first(env, "AWS_ENDPOINT_URL")).map(v -> {
            try {
                return checkEndpoint(URI.create(v.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        });
    }

    /** {@code AWS_ENDPOINT_URL_STS}, else {@code AWS_ENDPOINT_URL}: the SDKs' service-specific rule. */
    static Optional<URI> stsEndpoint(Map<String, String> env) {
        return endpoint(env, "AWS_ENDPOINT_URL_STS");
    }

    private static Optional<String> first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** {@code uri} when it is an http:// or https:// URL with a host, the only endpoints the SDK takes. */
    static URI checkEndpoint(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("endpoint '" + uri + "' is not an http:// or https:// URL with a host");
        }
        return uri;
    }
}
