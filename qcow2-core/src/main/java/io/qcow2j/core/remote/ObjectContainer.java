package io.qcow2j.core.remote;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.util.List;

/**
 * The objects of one bucket (S3) or container (Azure Blob Storage), named by their full object
 * names: what a backup location in an object store needs from the store, and nothing of its SDK.
 * qcow2-s3's {@code ObjectStore.bucket} and qcow2-azure's {@code BlobStore.container} give one;
 * qcow2-oadp's {@code ObjectStoreBackupLocation} reads a backup through it. Implementations are
 * thread-safe and do not own their store: close that when done.
 */
public interface ObjectContainer {

    /** The URI scheme objects are named with in messages, e.g. {@code s3} or {@code az}. */
    String scheme();

    /** The bucket or container's name. */
    String name();

    /**
     * Opens object {@code object} for positional reads; the caller closes it.
     *
     * @throws IOException when it cannot be opened; {@link #isAbsent} tells whether because it does
     *                     not exist
     */
    ByteSource open(String object) throws IOException;

    /** The size in bytes of object {@code object}, from one metadata request. */
    long size(String object) throws IOException;

    /**
     * Whether {@code e}, thrown by {@link #open}, {@link #size} or {@link #list}, says the object
     * does not exist (and not that the bucket or container does not, which is an error for
     * everything in it).
     */
    boolean isAbsent(IOException e);

    /**
     * The names directly under {@code prefix} (a full object name prefix ending in {@code /}):
     * objects and common prefixes one segment deep, without the trailing {@code /}, sorted.
     *
     * @throws UnsupportedOperationException when this store cannot list
     */
    default List<String> list(String prefix) throws IOException {
        throw new UnsupportedOperationException(scheme() + "://" + name() + ": this store cannot list its objects");
    }
}
