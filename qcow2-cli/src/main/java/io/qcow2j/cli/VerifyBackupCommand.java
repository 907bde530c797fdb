package io.qcow2j.cli;

import io.qcow2j.gcs.GcsSettings;
import io.qcow2j.oadp.BackupLocation;
import io.qcow2j.oadp.DirectoryBackupLocation;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code verify-backup}: prove that backups in a location can be restored, reading only their
 * metadata (or, with {@code --deep}, their data too), writing nothing anywhere.
 */
@Command(name = "verify-backup", mixinStandardHelpOptions = true,
        description = {"Prove that every backup (or one backup, VM or disk) in a kubevirt-datamover location, a"
            + " directory (--root) or a bucket (--bucket), can be restored: every object present with its recorded"
            + " size, every image valid as a restore validates it, every chain whole and in order.",
            "Reads metadata only (--deep: also the data, for the digest a restore will report); writes nothing.",
            "Exit 0: every backup checked is restorable; 3: some are not (listed); 2: usage."})
final class VerifyBackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = "--root", paramLabel = "DIR",
            description = "Backup location root (has manifests/ and checkpoints/).")
    Path root;
    @Mixin
    S3Flags s3;
    @Mixin
    VerifyFlags flags;

    private final Events events;
    private final Map<String, String> env;

    VerifyBackupCommand(Events events, Map<String, String> env) {
        this.events = events;
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        if ((root != null ? 1 : 0) + (s3.bucket != null ? 1 : 0) + (s3.gcsBucket != null ? 1 : 0) != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give the backup location: --root DIR,"
                    + " --bucket BUCKET [--prefix PREFIX] or --gcs-bucket BUCKET [--prefix PREFIX] (one of them)");
        }
        if (root != null && s3.anyConnectionFlag() || s3.gcsBucket != null && s3.anyEndpointFlag()) {
            throw new CommandLine.ParameterException(spec.commandLine(), root != null
                    ? "--prefix and the S3 options need --bucket" : "the S3 options need --bucket, not --gcs-bucket");
        }
        try (ObjectStorage remote = new ObjectStorage()) {
            BackupLocation location = root != null ? new DirectoryBackupLocation(root)
                    : s3.gcsBucket != null ? new ObjectStoreBackupLocation(remote.gcsStore(() -> s3.withMaxRequests(spec,
                            ObjectStorage.gcsFromEnvironment(spec, env), GcsSettings::withMaxConnections), spec)
                            .bucket(s3.gcsBucket), s3.prefix)
                    : new ObjectStoreBackupLocation(remote.store(() -> s3.settings(spec, env), spec, env).bucket(s3.bucket), s3.prefix);
            return VerifyOutput.run(spec, flags, location, events, remote::addTo, spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
    }
}
