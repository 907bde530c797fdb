package io.qcow2j.cli.s3;

import io.qcow2j.cli.remote.DatamoverTarget;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One test's {@code datamover-restore} setting against S3: {@link DatamoverTarget} with a
 * credentials file and the controller's S3 variables.
 */
final class DatamoverRun extends DatamoverTarget {
    final S3Backups backups;
    final Path credentials;

    DatamoverRun(S3Backups backups, Path dir) throws IOException {
        super(backups.images, dir);
        this.backups = backups;
        credentials = Files.writeString(dir.resolve("cloud"), "[default]\naws_access_key_id=" + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key=" + S3ProxyServer.SECRET_KEY + "\n");
    }

    /** The downloader's environment as the controller sets it: every shared variable, many empty. */
    Map<String, String> env(String bucket, String backup, String volume, URI endpoint) {
        Map<String, String> env = baseEnv("aws", bucket, backup, volume);
        env.put("KUBEVIRT_DM_BSL_REGION", "us-east-1");
        env.put("KUBEVIRT_DM_BSL_S3_URL", endpoint.toString());
        env.put("KUBEVIRT_DM_BSL_S3_FORCE_PATH_STYLE", "true");
        env.put("KUBEVIRT_DM_BSL_INSECURE_SKIP_TLS_VERIFY", "false");
        env.put("KUBEVIRT_DM_BSL_CA_CERT", "");
        env.put("KUBEVIRT_DM_CREDENTIALS_FILE", credentials.toString());
        return env;
    }

    /** The environment of {@code restore} and {@code restore-vm} with S3Proxy's keys and {@code endpoint}. */
    static Map<String, String> awsEnv(URI endpoint) {
        Map<String, String> env = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_")) {
                env.put(k, v);
            }
        });
        env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", endpoint.toString());
        return env;
    }

    Map<String, String> env(String bucket, String backup) {
        return env(bucket, backup, "rootdisk", backups.server.endpoint());
    }
}
