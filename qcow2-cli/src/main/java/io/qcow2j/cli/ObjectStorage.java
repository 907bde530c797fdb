package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.azure.AzureSettings;
import io.qcow2j.azure.BlobLocation;
import io.qcow2j.azure.BlobStore;
import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.remote.StoreStatistics;
import io.qcow2j.gcs.GcsLocation;
import io.qcow2j.gcs.GcsSettings;
import io.qcow2j.gcs.GcsStore;
import io.qcow2j.s3.ObjectStore;
import io.qcow2j.s3.ObjectStoreStatistics;
import io.qcow2j.s3.S3Location;
import io.qcow2j.s3.S3Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The object stores a command reads from (S3, Azure Blob Storage, Google Cloud Storage), each made on first use, and what
 * they cost (requests, bytes) for the summary and the progress events. Closed with the command.
 */
final class ObjectStorage implements AutoCloseable {
    private ObjectStore store;
    private BlobStore blobStore;
    private GcsStore gcsStore;

    /** Whether {@code image} names an object ({@code s3://}, {@code az://} or {@code gs://}) and not a local path. */
    static boolean isRemote(String image) {
        return S3Location.isS3Uri(image) || BlobLocation.isAzureUri(image) || GcsLocation.isGcsUri(image);
    }

    /** {@code store}, made by the caller, as this command's S3 store; closed with it. */
    ObjectStore use(ObjectStore made) {
        if (store != null) {
            throw new IllegalStateException("an S3 store is in use already");
        }
        store = made;
        return made;
    }

    /**
     * The Azure store for {@code settings}; once made, the same one. Settings the SDK refuses (a
     * malformed connection string or key) or that cannot be had are a usage error naming them.
     */
    BlobStore blobStore(Supplier<AzureSettings> settings, CommandSpec spec) {
        if (blobStore == null) {
            try {
                blobStore = BlobStore.create(settings.get());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        return blobStore;
    }

    /**
     * The Cloud Storage store for {@code settings}; once made, the same one. Credentials it cannot use
     * (a file that is missing or not a credentials JSON) are a usage error naming what named them.
     */
    GcsStore gcsStore(Supplier<GcsSettings> settings, CommandSpec spec) {
        if (gcsStore == null) {
            try {
                gcsStore = GcsStore.create(settings.get());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        return gcsStore;
    }

    /**
     * The store for {@code settings}; once made, the same one. Settings it cannot use (a credentials
     * or config file that is not a readable, well-formed regular file) are a usage error naming them.
     */
    ObjectStore store(Supplier<S3Settings> settings, CommandSpec spec, Map<String, String> env) {
        if (store == null) {
            S3Settings s = settings.get();
            try {
                store = ObjectStore.create(s, env);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        return store;
    }

    /**
     * The standard AWS configuration of {@code env} ({@code AWS_*}, shared files,
     * {@code AWS_ENDPOINT_URL}), a malformed variable being a usage error naming it.
     */
    static S3Settings fromEnvironment(CommandSpec spec, Map<String, String> env) {
        try {
            return S3Settings.fromEnvironment(env);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /**
     * Opens {@code images} (local paths, {@code s3://bucket/key}, {@code az://container/blob} and
     * {@code gs://bucket/object} URIs,
     * in any mix), oldest first; on failure closes what it opened.
     */
    List<ByteSource> open(List<String> images, CommandSpec spec, Map<String, String> env) throws IOException {
        List<ByteSource> sources = new ArrayList<>();
        try {
            for (String image : images) {
                if (S3Location.isS3Uri(image)) {
                    S3Location location;
                    try {
                        location = S3Location.parse(image);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
                    }
                    sources.add(store(() -> fromEnvironment(spec, env), spec, env).open(location));
                } else if (BlobLocation.isAzureUri(image)) {
                    BlobLocation location;
                    try {
                        location = BlobLocation.parse(image);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
                    }
                    sources.add(blobStore(() -> azureFromEnvironment(spec, env), spec).open(location));
                } else if (GcsLocation.isGcsUri(image)) {
                    GcsLocation location;
                    try {
                        location = GcsLocation.parse(image);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
                    }
                    sources.add(gcsStore(() -> gcsFromEnvironment(spec, env), spec).open(location));
                } else {
                    sources.add(FileByteSource.open(Path.of(image)));
                }
            }
            return sources;
        } catch (IOException | RuntimeException e) {
            for (ByteSource s : sources) {
                s.close();
            }
            throw e;
        }
    }

    /** The Azure tools' variables of {@code env}; missing or malformed ones are a usage error naming them. */
    static AzureSettings azureFromEnvironment(CommandSpec spec, Map<String, String> env) {
        try {
            return AzureEnvironment.fromEnvironment(env);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** Google's variables of {@code env}; malformed ones are a usage error naming them. */
    static GcsSettings gcsFromEnvironment(CommandSpec spec, Map<String, String> env) {
        try {
            return GcsEnvironment.fromEnvironment(env);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The store's warnings (an object without ETag), as {@code warning:} lines say them. */
    List<String> warnings() {
        return store == null ? List.of() : store.warnings();
    }

    /** Whether anything was read from object storage. */
    boolean used() {
        return store != null || blobStore != null || gcsStore != null;
    }

    /** Requests and bytes so far, all stores together; zeros when none was made. */
    StoreStatistics statistics() {
        StoreStatistics s = new StoreStatistics(0, 0, 0);
        if (store != null) {
            ObjectStoreStatistics o = store.statistics();
            s = s.plus(new StoreStatistics(o.requests(), o.retries(), o.bytesFetched()));
        }
        if (blobStore != null) {
            s = s.plus(blobStore.statistics());
        }
        return gcsStore == null ? s : s.plus(gcsStore.statistics());
    }

    /** {@code bytes-fetched}, {@code requests} and {@code retries}, when object storage was read. */
    void addTo(ObjectNode n) {
        if (used()) {
            StoreStatistics s = statistics();
            n.put("bytes-fetched", s.bytesFetched());
            n.put("requests", s.requests());
            n.put("retries", s.retries());
        }
    }

    /** The summary's line about object storage, when it was read. */
    void print(PrintWriter out) {
        if (used()) {
            StoreStatistics s = statistics();
            out.printf("  fetched        %,d bytes in %,d requests (%,d retried) from object storage%n",
                    s.bytesFetched(), s.requests(), s.retries());
        }
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
        if (blobStore != null) {
            blobStore.close();
        }
        if (gcsStore != null) {
            gcsStore.close();
        }
    }

    /** The most requests to a store at once that a setting may ask for. */
    static final int MAX_REQUESTS_LIMIT = 256;

    /**
     * The ceiling on requests to the store at once from {@code value}, set by {@code name}: 1 to
     * {@value #MAX_REQUESTS_LIMIT}.
     *
     * @throws IllegalArgumentException naming the setting when the value is not such a number
     */
    static int maxRequests(String name, String value) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1 && n <= MAX_REQUESTS_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + "=" + value + ": expected a number of requests from 1 to "
                + MAX_REQUESTS_LIMIT);
    }
}
