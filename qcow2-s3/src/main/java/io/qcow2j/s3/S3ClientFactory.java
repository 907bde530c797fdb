package io.qcow2j.s3;

import java.net.URI;
import java.time.Duration;
import javax.net.ssl.TrustManager;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.AttributeMap;

/** Turns {@link S3Settings} into the SDK's HTTP client and {@link S3Client}. */
final class S3ClientFactory {
    /** A reader waiting for a pooled connection is not failing: wait long, but not forever. */
    private static final Duration POOL_WAIT = Duration.ofSeconds(60);

    private S3ClientFactory() {
    }

    /**
     * The HTTP client: Apache HttpClient 5, chosen by measurement (docs/s3-http-client.md), with a
     * pool of {@link S3Settings#maxConnections()} connections.
     */
    static SdkHttpClient httpClient(S3Settings settings) {
        Apache5HttpClient.Builder b = Apache5HttpClient.builder()
                .maxConnections(settings.maxConnections())
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.readTimeout())
                .connectionAcquisitionTimeout(POOL_WAIT);
        AttributeMap.Builder defaults = AttributeMap.builder();
        if (settings.insecureSkipTlsVerify()) {
            // no certificate and no host name check, as curl -k
            defaults.put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, Boolean.TRUE);
        } else if (settings.caCertificatePem().isPresent()) {
            TrustManager[] trust = TlsTrust.withExtraCertificates(settings.caCertificatePem().get());
            b.tlsTrustManagersProvider(() -> trust);
        }
        return b.buildWithDefaults(defaults.build());
    }

    static S3Client s3Client(S3Settings settings, SdkHttpClient http, AwsCredentialsProvider credentials, URI endpoint,
                             SharedProfiles profiles, String region) {
        var b = S3Client.builder()
                .httpClient(http)
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.usesPathStyle(endpoint))
                // S3-compatible stores (S3Proxy, older MinIO and Ceph) refuse the flexible-checksum
                // headers the SDK sends by default; ranged GETs have no checksum to check anyway
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // ObjectRequests retries, body reads included; two loops would multiply the attempts
                // and the profile files as we read them: the SDK would read them again, unbounded
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .defaultProfileFile(profiles.file()).defaultProfileName(profiles.profileName()));
        if (endpoint != null) {
            b.endpointOverride(endpoint);
        }
        return b.build();
    }

    /**
     * The region: the setting, else {@code AWS_REGION} of the process, else the profile's, else
     * {@code us-east-1} (what S3-compatible stores expect). Never asks the EC2 instance metadata
     * service: in a restore pod that is a network timeout, not an answer.
     */
    static String region(S3Settings settings, SharedProfiles profiles) {
        return settings.region().orElseGet(() -> {
            try {
                return new SystemSettingsRegionProvider().getRegion().id();
            } catch (SdkClientException e) {
                return profiles.region().orElse(Region.US_EAST_1.id());
            }
        });
    }
}
