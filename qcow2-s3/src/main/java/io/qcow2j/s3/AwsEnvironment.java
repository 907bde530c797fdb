package io.qcow2j.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
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
        Optional<String> profile = first(env, "AWS_PROFILE");
        if (keyId.isPresent() != secret.isPresent()) {
            throw new IllegalArgumentException("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        }
        if (keyId.isPresent()) {
            b.staticCredentials(keyId.get(), secret.get(), first(env, "AWS_SESSION_TOKEN").orElse(null));
        } else if (file.isPresent() || profile.isPresent()) {
            b.profileCredentials(file.map(Path::of).orElse(null), profile.orElse(null));
        }
        Optional<String> caBundle = first(env, "AWS_CA_BUNDLE");
        if (caBundle.isPresent()) {
            try {
                b.caCertificatePem(Files.readString(Path.of(caBundle.get())));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("AWS_CA_BUNDLE: cannot read " + caBundle.get() + ": " + e, e);
            }
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
        Optional<String> s3 = first(env, "AWS_ENDPOINT_URL_S3");
        String name = s3.isPresent() ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
        return s3.or(() -> first(env, "AWS_ENDPOINT_URL")).map(v -> {
            try {
                return checkEndpoint(URI.create(v.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        });
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
