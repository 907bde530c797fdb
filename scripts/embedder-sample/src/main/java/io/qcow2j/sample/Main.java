package io.qcow2j.sample;

import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.InvalidChainException;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.s3.ObjectStore;
import io.qcow2j.s3.S3Location;
import io.qcow2j.s3.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Main TARGET IMAGE...}: restores the chain (oldest first) to TARGET, checks the result's
 * digest against the written file, and builds an S3 store without sending a request, so the AWS
 * SDK's modules resolve and initialise on the module path. Prints one line; exits 1 on a mismatch.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        List<Path> images = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            images.add(Path.of(args[i]));
        }
        try (Qcow2Image newest = Qcow2Image.open(images.get(images.size() - 1))) {
            System.out.printf("newest image: %d bytes, cluster %d%n", newest.virtualSize(), newest.clusterSize());
        }
        RestoreResult r;
        try {
            r = Restore.run(images, target, RestoreOptions.builder().build());
        } catch (InvalidImageException | InvalidChainException | InvalidTargetException e) {
            System.err.println("nothing written: " + e.getMessage());
            System.exit(3);
            return;
        } catch (RestoreIncompleteException e) {
            System.err.println("target incomplete at " + e.guestOffset() + ": " + e.getMessage());
            System.exit(4);
            return;
        }
        String reread = DiskDigest.of(target, r.virtualSize());
        S3Settings settings = S3Settings.builder().region("us-east-1").endpoint(URI.create("http://127.0.0.1:9"))
                .staticCredentials("sample", "sample", null).build();
        try (ObjectStore store = ObjectStore.create(settings)) {
            System.out.printf("s3 store %s, bucket %s%n", store.endpoint().orElseThrow(),
                    store.bucket(S3Location.parse("s3://backups/disk.qcow2").bucket()).name());
        }
        System.out.printf("restored %d bytes, digest %s:%s (re-read %s)%n", r.virtualSize(), DiskDigest.NAME,
                r.digest(), reread);
        if (!reread.equals(r.digest())) {
            System.exit(1);
        }
    }
}
