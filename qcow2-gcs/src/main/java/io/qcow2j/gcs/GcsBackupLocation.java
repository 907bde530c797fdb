package io.qcow2j.gcs;

import io.qcow2j.core.ByteSource;
import io.qcow2j.restore.oadp.ObjectStoreBackupLocation;
import java.io.IOException;
import java.util.Objects;

/**
 * A backup location in a bucket, keys joined to the prefix as the controller joins them. A missing
 * object reads as absent; a missing bucket, refused credentials or a network failure are
 * {@link GcsStoreException}s naming {@code gs://bucket/object}. Does not own the store: close that
 * when done.
 */
public final class GcsBackupLocation extends ObjectStoreBackupLocation {
    private final GcsStore store;

    /**
     * @param prefix the location's prefix, in full; empty or null for the bucket's top
     * @throws IllegalArgumentException when the bucket name is empty or holds a {@code /}
     */
    public GcsBackupLocation(GcsStore store, String bucket, String prefix) {
        super("gs", bucket, prefix);
        this.store = Objects.requireNonNull(store, "store");
        new GcsLocation(bucket, "x"); // checks the bucket name now, not at the first request
    }

    /** The object of {@code key}. */
    public GcsLocation location(String key) {
        return new GcsLocation(bucket(), objectName(key));
    }

    @Override
    protected ByteSource openObject(String name) throws IOException {
        return store.open(new GcsLocation(bucket(), name));
    }

    @Override
    protected long sizeOf(String name) throws IOException {
        return store.metadata(new GcsLocation(bucket(), name)).size();
    }

    /** No such object: absent. No such bucket: nothing in it can be told, so that is the error. */
    @Override
    protected boolean isAbsent(IOException e) {
        return e instanceof GcsStoreException.NotFound n && !n.bucketMissing();
    }
}
