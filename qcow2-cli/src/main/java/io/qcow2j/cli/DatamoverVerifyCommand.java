package io.qcow2j.cli;

import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.core.remote.ObjectContainer;
import io.qcow2j.gcs.GcsSettings;
import io.qcow2j.s3.S3Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code datamover-verify}: {@code verify-backup} configured as the datamover's pods are, so it can
 * run as a Job beside them: the location from the {@code KUBEVIRT_DM_*} environment (bucket,
 * prefix, endpoint, TLS, credentials), the scope from {@code KUBEVIRT_DM_VELERO_BACKUP_NAME},
 * {@code _VM_NAMESPACE}, {@code _VM_NAME} and {@code _TARGET_VOLUME} when set (a flag wins).
 */
@Command(name = "datamover-verify", mixinStandardHelpOptions = true,
        description = {"verify-backup over the kubevirt-datamover location of the KUBEVIRT_DM_* environment"
            + " (docs/cli-contract.md); the backup, VM and volume variables, when set, narrow the scope."})
final class DatamoverVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Mixin
    VerifyFlags flags;

    private final Events events;
    private final Map<String, String> env;

    DatamoverVerifyCommand(Events events, Map<String, String> env) {
        this.events = events;
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        DatamoverEnvironment dm;
        S3Settings s3 = null;
        AzureSettings azure = null;
        GcsSettings gcs = null;
        List<String> notes = new ArrayList<>();
        try {
            dm = DatamoverEnvironment.parseLocation(env);
            if (dm.azure()) {
                azure = dm.azureSettings(env);
            } else if (dm.gcp()) {
                gcs = dm.gcsSettings(env, notes);
            } else {
                s3 = dm.settings(env, notes);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        notes.forEach(n -> spec.commandLine().getErr().println("note: " + PrintableText.escape(n)));
        flags.backup = flags.backup != null ? flags.backup : dm.backup();
        flags.namespace = flags.namespace != null ? flags.namespace : dm.namespace();
        flags.vm = flags.vm != null ? flags.vm : dm.vmName();
        flags.disk = flags.disk != null ? flags.disk : dm.volume();
        AzureSettings azureSettings = azure;
        GcsSettings gcsSettings = gcs;
        S3Settings s3Settings = s3;
        try (ObjectStorage remote = new ObjectStorage()) {
            ObjectContainer bucket = azureSettings != null
                    ? remote.blobStore(() -> azureSettings, spec).container(dm.bucket())
                    : gcsSettings != null ? remote.gcsStore(() -> gcsSettings, spec).bucket(dm.bucket())
                    : remote.store(() -> s3Settings, spec, env).bucket(dm.bucket());
            ObjectStoreBackupLocation location = new ObjectStoreBackupLocation(bucket, dm.prefix());
            return VerifyOutput.run(spec, flags, location, events, remote::addTo, spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
    }
}
