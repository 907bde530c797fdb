package io.qcow2j.cli.s3;

import io.qcow2j.cli.remote.BackupImages;
import io.qcow2j.oadp.ControllerBackup;
import io.qcow2j.s3.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The S3 tests' backups ({@link BackupImages}) and a real S3 server (S3Proxy) to upload them to in
 * the controller's layout, a bucket per test.
 */
final class S3Backups {
    static final long M = BackupImages.M;
    static final String PREFIX = BackupImages.PREFIX;

    final S3ProxyServer server;
    final BackupImages images;

    private static S3Backups shared;

    private S3Backups(S3ProxyServer server, BackupImages images) {
        this.server = server;
        this.images = images;
    }

    static synchronized S3Backups shared() throws IOException {
        if (shared == null) {
            shared = new S3Backups(S3ProxyServer.shared(), BackupImages.shared());
        }
        return shared;
    }

    ControllerBackup layout() throws IOException {
        return images.layout();
    }

    /** A new bucket holding {@code b} under {@link #PREFIX}; returns its name. */
    String upload(ControllerBackup b) throws IOException {
        String bucket = server.createBucket();
        upload(bucket, b);
        return bucket;
    }

    void upload(String bucket, ControllerBackup b) throws IOException {
        upload(server, bucket, b);
    }

    /** Uploads {@code b} to {@code bucket} of {@code to}, another server than the shared one. */
    static void upload(S3ProxyServer to, String bucket, ControllerBackup b) throws IOException {
        BackupImages.upload(b, (key, content) -> to.putObject(bucket, key, content));
    }

    List<Path> chain(String backup, String disk) {
        return images.chain(backup, disk);
    }

    Path oracle(String backup, String disk) throws IOException {
        return images.oracle(backup, disk);
    }
}
