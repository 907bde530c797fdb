package io.qcow2j.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S3SettingsTest {

    @ParameterizedTest
    @CsvSource({
        "http://127.0.0.1:9000, true",
        "https://10.1.2.3, true",
        "http://localhost:9000, true",
        "http://LOCALHOST, true",
        "http://[::1]:9000, true",
        "https://minio.backup.svc:9000, false",
        "https://s3.eu-west-1.amazonaws.com, false",
        "https://1.2.3.example.com, false",
    })
    void pathStyleIsAutomaticForIpLiteralsAndLocalhost(String endpoint, boolean pathStyle) {
        assertEquals(pathStyle, S3Settings.builder().build().usesPathStyle(URI.create(endpoint)));
    }

    @Test
    void anExplicitPathStyleWins() {
        URI ip = URI.create("http://127.0.0.1:9000");
        URI name = URI.create("https://minio.example");
        assertFalse(S3Settings.builder().pathStyle(false).build().usesPathStyle(ip));
        assertTrue(S3Settings.builder().pathStyle(true).build().usesPathStyle(name));
        assertFalse(S3Settings.builder().build().usesPathStyle(null), "AWS itself: virtual-hosted");
    }

    @Test
    void readsTheStandardVariables(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        S3Settings s = S3Settings.fromEnvironment(Map.of(
                "AWS_DEFAULT_REGION", "eu-west-1",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:9000",
                "AWS_ACCESS_KEY_ID", "AKID",
                "AWS_SECRET_ACCESS_KEY", "SECRET",
                "AWS_SESSION_TOKEN", "TOKEN",
                "AWS_CA_BUNDLE", ca.toString(),
                "AWS_MAX_ATTEMPTS", "7"));
        assertEquals(Optional.of("eu-west-1"), s.region());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9000")), s.endpoint());
        assertEquals(S3Settings.CredentialsSource.STATIC, s.credentialsSource());
        assertEquals("AKID", s.accessKeyId());
        assertEquals("TOKEN", s.sessionToken());
        assertTrue(s.caCertificatePem().orElseThrow().contains("BEGIN CERTIFICATE"));
        assertEquals(7, s.maxAttempts());
        assertFalse(s.toString().contains("SECRET"), s.toString());
        assertFalse(s.toString().contains("TOKEN"), s.toString());
    }

    @Test
    void preferTheS3SpecificEndpointAndAwsRegion() {
        S3Settings s = S3Settings.fromEnvironment(Map.of("AWS_REGION", "us-west-2", "AWS_DEFAULT_REGION", "eu-west-1",
                "AWS_ENDPOINT_URL", "http://a:1", "AWS_ENDPOINT_URL_S3", "http://b:2"));
        assertEquals(Optional.of("us-west-2"), s.region());
        assertEquals(Optional.of(URI.create("http://b:2")), s.endpoint());
        assertEquals(S3Settings.CredentialsSource.DEFAULT_CHAIN, s.credentialsSource());
    }

    @Test
    void aCredentialsFileAndProfileSelectProfileCredentials() {
        S3Settings s = S3Settings.fromEnvironment(Map.of("AWS_SHARED_CREDENTIALS_FILE", "/creds/cloud", "AWS_PROFILE", "backup"));
        assertEquals(S3Settings.CredentialsSource.PROFILE, s.credentialsSource());
        assertEquals(Optional.of(Path.of("/creds/cloud")), s.credentialsFile());
        assertEquals(Optional.of("backup"), s.profile());
        assertEquals(Optional.empty(), S3Settings.fromEnvironment(Map.of("AWS_PROFILE", "p")).credentialsFile());
    }

    @Test
    void webIdentityFromTheEnvironmentAfterKeysBeforeTheProfile() {
        Map<String, String> env = Map.of("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", "AWS_WEB_IDENTITY_TOKEN_FILE",
                "/var/run/secrets/token", "AWS_ROLE_SESSION_NAME", "s", "AWS_SHARED_CREDENTIALS_FILE", "/creds/cloud",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9001",
                "AWS_CONFIG_FILE", "/creds/config");
        S3Settings s = S3Settings.fromEnvironment(env);
        assertEquals(S3Settings.CredentialsSource.WEB_IDENTITY, s.credentialsSource());
        assertEquals(Optional.of("arn:aws:iam::1:role/r"), s.roleArn());
        assertEquals(Optional.of(Path.of("/var/run/secrets/token")), s.webIdentityTokenFile());
        assertEquals("AWS_WEB_IDENTITY_TOKEN_FILE", s.webIdentityTokenOrigin());
        assertEquals(Optional.of("s"), s.roleSessionName());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9001")), s.stsEndpoint());
        assertEquals(Optional.of(Path.of("/creds/config")), s.configFile());
        Map<String, String> keys = new java.util.HashMap<>(env);
        keys.put("AWS_ACCESS_KEY_ID", "AKID");
        keys.put("AWS_SECRET_ACCESS_KEY", "secret");
        assertEquals(S3Settings.CredentialsSource.STATIC, S3Settings.fromEnvironment(keys).credentialsSource());
        keys.remove("AWS_ENDPOINT_URL_STS");
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9000")), S3Settings.fromEnvironment(keys).stsEndpoint());
    }

    @Test
    void theRequestDeadlineGrowsWithTheRequest() {
        S3Settings s = S3Settings.builder().build();
        assertEquals(Duration.ofSeconds(60), s.requestDeadline(0));
        assertEquals(Duration.ofSeconds(60 + 128), s.requestDeadline(4 << 20));
        assertMessage("bytesPerSecond", () -> S3Settings.builder().requestDeadline(Duration.ofSeconds(1), 0));
    }

    @Test
    void unusableVariablesAreNamed() {
        assertMessage("AWS_MAX_ATTEMPTS", () -> S3Settings.fromEnvironment(Map.of("AWS_MAX_ATTEMPTS", "many")));
        assertMessage("AWS_MAX_ATTEMPTS", () -> S3Settings.fromEnvironment(Map.of("AWS_MAX_ATTEMPTS", "0")));
        assertMessage("AWS_ENDPOINT_URL", () -> S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "minio:9000")));
        assertMessage("AWS_CA_BUNDLE", () -> S3Settings.fromEnvironment(Map.of("AWS_CA_BUNDLE", "/no/such/ca.pem")));
        assertMessage("AWS_SECRET_ACCESS_KEY", () -> S3Settings.fromEnvironment(Map.of("AWS_ACCESS_KEY_ID", "AKID")));
    }

    @Test
    void validatesWhatItIsGiven() {
        assertMessage("32 bytes", () -> S3Settings.builder().sseCustomerKey(new byte[16]));
        assertMessage("maxConnections", () -> S3Settings.builder().maxConnections(0));
        assertMessage("backoff", () -> S3Settings.builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertMessage("endpoint", () -> S3Settings.builder().endpoint(URI.create("ftp://host/")));
    }

    @Test
    void isImmutable() {
        byte[] key = new byte[32];
        S3Settings s = S3Settings.builder().sseCustomerKey(key).build();
        key[0] = 1;
        assertEquals(0, s.sseCustomerKey()[0]);
        s.sseCustomerKey()[0] = 2;
        assertEquals(0, s.sseCustomerKey()[0]);
        S3Settings other = s.toBuilder().maxConnections(3).build();
        assertEquals(64, s.maxConnections());
        assertEquals(3, other.maxConnections());
        assertTrue(other.hasSseCustomerKey());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
