package io.qcow2j.cli;

import io.qcow2j.s3.internal.ConfigFile;
import io.qcow2j.s3.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BiFunction;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Where a backup location in a bucket is, and how to reach it: the standard AWS configuration
 * ({@code AWS_*} variables, shared files, {@code AWS_ENDPOINT_URL}) with these flags on top.
 */
final class S3Flags {
    @Option(names = "--bucket", paramLabel = "BUCKET",
            description = "Read the backup location from this bucket (instead of --root).")
    String bucket;
    @Option(names = "--gcs-bucket", paramLabel = "BUCKET", description = "Read the backup location from this Google"
            + " Cloud Storage bucket instead (GOOGLE_APPLICATION_CREDENTIALS, else application default credentials;"
            + " STORAGE_EMULATOR_HOST for an emulator).")
    String gcsBucket;
    @Option(names = "--prefix", paramLabel = "PREFIX",
            description = "The location's prefix in the bucket or container, in full (e.g. velero-kubevirt-datamover).")
    String prefix;
    @Option(names = "--endpoint", paramLabel = "URL", description = "S3 endpoint (default: AWS_ENDPOINT_URL, else AWS).")
    String endpoint;
    @Option(names = "--region", paramLabel = "REGION", description = "Region (default: AWS_REGION, else us-east-1).")
    String region;
    @Option(names = "--path-style", description = "Path-style addressing (automatic for an IP or localhost endpoint).")
    boolean pathStyle;
    @Option(names = "--ca-cert", paramLabel = "FILE", description = "Also trust the CA certificates in this PEM file.")
    Path caCert;
    @Option(names = "--insecure-skip-tls-verify", description = "Skip TLS certificate checks (test endpoints only).")
    boolean insecureSkipTlsVerify;
    @Option(names = "--max-requests", paramLabel = "N",
            description = "At most N requests to the store at once (default 64 for S3, 32 for Azure; 1 to 256).")
    String maxRequests;

    /** Whether an S3 flag other than --bucket was given. */
    boolean anyConnectionFlag() {
        return prefix != null || maxRequests != null || anyEndpointFlag();
    }

    /** Whether a flag saying how to reach an S3 endpoint was given (not --bucket, --prefix, --max-requests). */
    boolean anyEndpointFlag() {
        return endpoint != null || region != null || pathStyle || caCert != null || insecureSkipTlsVerify;
    }

    /** The settings: {@code env}'s AWS configuration, then these flags; a bad value is a usage error. */
    S3Settings settings(CommandSpec spec, Map<String, String> env) {
        S3Settings.Builder b = ObjectStorage.fromEnvironment(spec, env).toBuilder();
        try {
            if (endpoint != null) {
                b.endpoint(URI.create(endpoint));
            }
            b.region(region);
            if (pathStyle) {
                b.pathStyle(true);
            }
            if (caCert != null) {
                b.caCertificatePem(ConfigFile.readString(caCert, "--ca-cert", ConfigFile.MAX_PEM_BYTES));
            }
            b.insecureSkipTlsVerify(insecureSkipTlsVerify);
            if (maxRequests != null) {
                b.maxConnections(ObjectStorage.maxRequests("--max-requests", maxRequests));
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        return b.build();
    }

    /**
     * {@code settings} of another store (a blob container, a Cloud Storage bucket) with the ceiling
     * of --max-requests, which applies to it too; {@code with} sets the ceiling.
     */
    <T> T withMaxRequests(CommandSpec spec, T settings, BiFunction<T, Integer, T> with) {
        try {
            return maxRequests == null ? settings
                    : with.apply(settings, ObjectStorage.maxRequests("--max-requests", maxRequests));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
