package io.qcow2j.s3;

import io.qcow2j.s3.internal.ConfigFile;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;

/**
 * A store's credentials provider, and the STS clients it owns. Roles ({@code role_arn} with
 * {@code web_identity_token_file} or {@code source_profile}, in the profile or from
 * {@code AWS_ROLE_ARN}/{@code AWS_WEB_IDENTITY_TOKEN_FILE}) are assumed here with an STS client of
 * our own, so that the STS endpoint, the region and the token file's bounded read are the store's
 * (the SDK's profile provider would make its own client from the process's environment and might ask
 * the instance metadata service for a region). Other profiles (keys, {@code credential_process}) go
 * to the SDK's profile provider, with our parsed files.
 */
final class StoreCredentials implements AutoCloseable {
    /** A source_profile chain longer than this is a loop or a mistake. */
    private static final int MAX_CHAIN = 8;

    private final S3Settings settings;
    private final SharedProfiles profiles;
    private final String region;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final AwsCredentialsProvider provider;
    private SdkHttpClient stsHttp;

    /** @throws IllegalArgumentException when a profile, a role or a token file is unusable, naming it */
    StoreCredentials(S3Settings settings, SharedProfiles profiles, String region) {
        this.settings = settings;
        this.profiles = profiles;
        this.region = region;
        try {
            this.provider = make();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    AwsCredentialsProvider provider() {
        return provider;
    }

    private AwsCredentialsProvider make() {
        switch (settings.credentialsSource()) {
            case STATIC:
                return StaticCredentialsProvider.create(settings.sessionToken() == null
                        ? AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey())
                        : AwsSessionCredentials.create(settings.accessKeyId(), settings.secretAccessKey(),
                        settings.sessionToken()));
            case WEB_IDENTITY:
                return webIdentity(settings.roleArn().orElseThrow(), settings.webIdentityTokenFile().orElseThrow(),
                        settings.webIdentityTokenOrigin(), settings.roleSessionName().orElse(null));
            case PROFILE:
                // a profile the file lacks fails at the first request, as "no usable credentials"
                return profile(profiles.profileName(), new HashSet<>());
            default:
                AwsCredentialsProvider rest = own(DefaultCredentialsProvider.builder().profileFile(profiles.file())
                        .profileName(profiles.profileName()).build());
                return profiles.profile().isEmpty() ? rest
                        : AwsCredentialsProviderChain.of(profile(profiles.profileName(), new HashSet<>()), rest);
        }
    }

    /** Profile {@code name}: a role assumed here, else the SDK's provider (keys, credential_process). */
    private AwsCredentialsProvider profile(String name, Set<String> seen) {
        if (!seen.add(name) || seen.size() > MAX_CHAIN) {
            throw new IllegalArgumentException(profiles.source() + ": profile '" + name
                    + "' is part of a source_profile loop");
        }
        Profile p = profiles.profile(name).orElse(null);
        if (p == null && seen.size() > 1) {
            throw new IllegalArgumentException(profiles.source() + ": source_profile '" + name + "' is not defined");
        }
        String role = p == null ? null : p.property("role_arn").map(String::trim).orElse(null);
        String session = role == null ? null : p.property("role_session_name").map(String::trim).orElse(null);
        if (role != null && p.property("web_identity_token_file").isPresent()) {
            return webIdentity(role, Path.of(p.property("web_identity_token_file").get().trim()),
                    profiles.source() + " [" + name + "] web_identity_token_file", session);
        }
        if (role != null && p.property("source_profile").isPresent()) {
            AwsCredentialsProvider source = profile(p.property("source_profile").get().trim(), seen);
            String externalId = p.property("external_id").map(String::trim).orElse(null);
            StsClient sts = sts(source);
            Supplier<AssumeRoleRequest> request = () -> AssumeRoleRequest.builder().roleArn(role)
                    .roleSessionName(sessionName(session)).externalId(externalId).build();
            return named(own(StsAssumeRoleCredentialsProvider.builder().stsClient(sts).refreshRequest(request)
                    .build()), "STS AssumeRole (role " + role + ")");
        }
        return own(ProfileCredentialsProvider.builder().profileFile(profiles.file()).profileName(name).build());
    }

    /** The token is read now (a bad file is a configuration error) and again at every refresh. */
    private AwsCredentialsProvider webIdentity(String role, Path tokenFile, String origin, String session) {
        token(tokenFile, origin);
        StsClient sts = sts(AnonymousCredentialsProvider.create());
        String name = sessionName(session);
        Supplier<AssumeRoleWithWebIdentityRequest> request = () -> AssumeRoleWithWebIdentityRequest.builder()
                .roleArn(role).roleSessionName(name).webIdentityToken(token(tokenFile, origin)).build();
        return named(own(StsAssumeRoleWithWebIdentityCredentialsProvider.builder().stsClient(sts)
                .refreshRequest(request).build()), "STS AssumeRoleWithWebIdentity (role " + role + ")");
    }

    private static String token(Path file, String origin) {
        String token = ConfigFile.readString(file, origin, ConfigFile.MAX_PROFILE_BYTES).strip();
        if (token.isEmpty()) {
            throw new IllegalArgumentException(origin + ": " + file + " is empty");
        }
        return token;
    }

    private static String sessionName(String configured) {
        return configured != null && !configured.isEmpty() ? configured : "qcow2j-" + System.currentTimeMillis();
    }

    private StsClient sts(AwsCredentialsProvider credentials) {
        if (stsHttp == null) {
            // never the S3 client's: skipping TLS checks for a test store must not send a token unverified
            stsHttp = S3ClientFactory.httpClient(settings.toBuilder().insecureSkipTlsVerify(false).build());
            owned.add(stsHttp);
        }
        var b = StsClient.builder().httpClient(stsHttp).region(Region.of(region)).credentialsProvider(credentials)
                .overrideConfiguration(o -> o.defaultProfileFile(profiles.file())
                        .defaultProfileName(profiles.profileName()));
        URI endpoint = settings.stsEndpoint().orElse(null);
        if (endpoint != null) {
            b.endpointOverride(endpoint);
        }
        return own(b.build());
    }

    /** An STS failure says so, and counts as missing credentials (not retried by the store: STS retried). */
    private static AwsCredentialsProvider named(AwsCredentialsProvider p, String what) {
        return () -> {
            try {
                return p.resolveCredentials();
            } catch (SdkException e) {
                throw SdkClientException.create("Unable to load credentials from " + what + ": "
                        + Failure.of(e).summary, e);
            }
        };
    }

    private <T> T own(T resource) {
        if (resource instanceof AutoCloseable c) {
            owned.add(0, c); // closed in reverse order: providers before the clients they use
        }
        return resource;
    }

    @Override
    public void close() {
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing to report at close
            }
        }
        owned.clear();
    }
}
