package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.cli.CliRun;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.FaultProxy;
import io.qcow2j.s3.testing.S3ProxyServer;
import io.qcow2j.s3.testing.StsResponder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The credentials file as the controller's SDK loads it (also the shared config file: region, roles,
 * {@code credential_process}, {@code [profile name]}), web identity through STS from the file and
 * from {@code AWS_ROLE_ARN}/{@code AWS_WEB_IDENTITY_TOKEN_FILE}, and the SSE-C key file's line
 * ends: each through {@code datamover-restore} against S3Proxy, STS being the loopback stand-in
 * {@link StsResponder} reached through {@code AWS_ENDPOINT_URL_STS}.
 */
@RequiresQemu
class DatamoverCredentialsTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/velero-sts";
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig";
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;
    StsResponder sts;
    FaultProxy proxy;
    Path tokenFile;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
        sts = StsResponder.start(ROLE, TOKEN, "base-key");
        proxy = FaultProxy.start(backups.server.endpoint());
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    }

    @AfterEach
    void tearDown() throws IOException {
        sts.close();
        proxy.close();
    }

    private Map<String, String> env() throws IOException {
        Map<String, String> env = dm.env(backups.upload(dm.layout), "b3", "rootdisk", proxy.endpoint());
        env.put("AWS_ENDPOINT_URL_STS", sts.endpoint().toString());
        return env;
    }

    /** Every S3 request was signed with the STS key pair and carried its session token. */
    private void assertSignedWithStsCredentials() {
        assertTrue(proxy.requestCount() > 0);
        assertTrue(proxy.requests().stream().allMatch(q ->
                StsResponder.SESSION_TOKEN.equals(q.header("x-amz-security-token"))), "session token on every request");
    }

    @Test
    void webIdentityFromTheCredentialsFile() throws IOException {
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nweb_identity_token_file = " + tokenFile
                + "\nrole_session_name = velero-restore\n");
        dm.assertRestored(DatamoverRun.run(env()), "b3", "rootdisk");
        List<StsResponder.Call> calls = sts.calls();
        assertEquals(1, calls.size(), calls.toString());
        StsResponder.Call c = calls.get(0);
        assertEquals("AssumeRoleWithWebIdentity", c.param("Action"));
        assertEquals(ROLE, c.param("RoleArn"));
        assertEquals(TOKEN, c.param("WebIdentityToken"), "the token read from the file, line end stripped");
        assertEquals("velero-restore", c.param("RoleSessionName"));
        assertSignedWithStsCredentials();
    }

    @Test
    void webIdentityFromTheEnvironmentWinsOverTheFile() throws IOException {
        Files.writeString(dm.credentials, "[default]\naws_access_key_id=nobody\naws_secret_access_key=wrong\n");
        Map<String, String> env = env();
        env.put("AWS_ROLE_ARN", ROLE);
        env.put("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.toString());
        dm.assertRestored(DatamoverRun.run(env), "b3", "rootdisk");
        assertEquals(1, sts.calls().size());
        assertTrue(sts.calls().get(0).param("RoleSessionName").startsWith("qcow2j-"), sts.calls().toString());
        assertSignedWithStsCredentials();
        // and without any credentials file, as on a cluster with IRSA and no Secret
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", dir.resolve("none").toString());
        Files.delete(dm.target);
        dm.assertRestored(DatamoverRun.run(env), "b3", "rootdisk");
    }

    @Test
    void aTokenStsRefusesIsNamed() throws IOException {
        Files.writeString(tokenFile, "expired-token");
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nweb_identity_token_file = " + tokenFile
                + "\n");
        dm.assertRefused(DatamoverRun.run(env()), 3, "AssumeRoleWithWebIdentity", ROLE, "AccessDenied",
                "invalid web identity token");
        assertEquals(0, proxy.requestCount(), "no S3 request without credentials");
    }

    @Test
    void anUnreachableStsIsNamedNotTheStore() throws IOException {
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nweb_identity_token_file = " + tokenFile
                + "\n");
        Map<String, String> env = env();
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        env.put("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:" + closed);
        dm.assertRefused(DatamoverRun.run(env), 3, "no usable credentials", "STS AssumeRoleWithWebIdentity", ROLE,
                "cannot connect");
        assertEquals(0, proxy.requestCount(), "no S3 request without credentials");
    }

    @Test
    void aRoleAssumedWithASourceProfile() throws IOException {
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nsource_profile = base\n"
                + "[profile base]\naws_access_key_id = base-key\naws_secret_access_key = base-secret\n");
        dm.assertRestored(DatamoverRun.run(env()), "b3", "rootdisk");
        assertEquals("AssumeRole", sts.calls().get(0).param("Action"));
        assertSignedWithStsCredentials();
    }

    @Test
    void aSourceProfileLoopOrAMissingSourceIsAConfigurationError() throws IOException {
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nsource_profile = a\n"
                + "[profile a]\nrole_arn = " + ROLE + "\nsource_profile = default\n");
        dm.assertRefused(DatamoverRun.run(env()), 2, "KUBEVIRT_DM_CREDENTIALS_FILE " + dm.credentials,
                "profile 'default' is part of a source_profile loop");
        Files.writeString(dm.credentials, "[default]\nrole_arn = " + ROLE + "\nsource_profile = nowhere\n");
        dm.assertRefused(DatamoverRun.run(env()), 2, "source_profile 'nowhere' is not defined");
        assertEquals(List.of(), sts.calls());
    }

    @Test
    void credentialProcess() throws IOException {
        Path script = dir.resolve("creds.sh");
        Files.writeString(script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"" + S3ProxyServer.ACCESS_KEY
                + "\", \"SecretAccessKey\": \"" + S3ProxyServer.SECRET_KEY + "\"}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dm.credentials, "[default]\ncredential_process = " + script + "\n");
        dm.assertRestored(DatamoverRun.run(env()), "b3", "rootdisk");
    }

    @Test
    void regionAndProfileSectionsAsInTheSharedConfigFile() throws IOException {
        Files.writeString(dm.credentials, "[default]\naws_access_key_id=nobody\naws_secret_access_key=wrong\n"
                + "[profile velero]\nregion = eu-west-3\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key = " + S3ProxyServer.SECRET_KEY + "\n");
        Map<String, String> env = env();
        env.put("KUBEVIRT_DM_BSL_REGION", "");
        env.put("KUBEVIRT_DM_BSL_PROFILE", "velero");
        dm.assertRestored(DatamoverRun.run(env), "b3", "rootdisk");
        assertTrue(proxy.requests().stream().allMatch(q -> q.header("Authorization").contains("/eu-west-3/s3/")),
                "signed for the profile's region: " + proxy.requests().get(0).header("Authorization"));
    }

    @Test
    void anSseCKeyFileLosesItsTrailingCrAndLfThenMustBe32Bytes() throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 'k');
        byte[] crlf = Arrays.copyOf(key, 34);
        crlf[32] = '\r';
        crlf[33] = '\n';
        Map<String, String> env = env();
        env.put("KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE", Files.write(dir.resolve("sse-c"), crlf).toString());
        // S3Proxy implements no SSE-C (501): the headers were sent, with the stripped key
        dm.assertRefused(DatamoverRun.run(env), 3, "501");
        String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(key));
        assertTrue(proxy.requests().stream().allMatch(q ->
                md5.equals(q.header("x-amz-server-side-encryption-customer-key-MD5"))), "the 32-byte key was sent");
        // as the controller: a 32-byte file whose last byte is LF is 31 bytes of key
        key[31] = '\n';
        Files.write(dir.resolve("sse-c"), key);
        dm.assertRefused(DatamoverRun.run(env), 2, "KUBEVIRT_DM_BSL_CUSTOMER_KEY_ENCRYPTION_FILE", "got 31");
    }
}
