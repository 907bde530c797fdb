package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * A backup location in a bucket: key {@code k} is the object {@code <prefix>/k}, joined as the
 * kubevirt-datamover controller joins them (one trailing {@code /} of the prefix dropped; an empty
 * prefix adds nothing). A missing object reads as absent; a missing bucket, refused credentials or
 * a network failure are {@link ObjectStoreException}s naming {@code s3://bucket/key}. Does not own
 * the store: close that when done.
 */
public final class S3BackupLocation extends ObjectStoreBackupLocation {
    private final ObjectStore store;

    /**
     * @param prefix the location's prefix, in full (the controller's already ends in
     *               {@code -kubevirt-datamover}); empty or null for the bucket's top
     * @throws IllegalArgumentException when the bucket name is empty or holds a {@code /}
     */
    public S3BackupLocation(ObjectStore store, String bucket, String prefix) {
        super("s3", bucket, prefix);
        this.store = Objects.requireNonNull(store, "store");
        new S3Location(bucket, "x"); // checks the bucket name now, not at the first request
    }

    /** The object of {@code key}. */
    public S3Location location(String key) {
        return new S3Location(bucket(), objectName(key));
    }

    /** The store the objects are read from. */
    public ObjectStore store() {
        return store;
    }

    @Override
    protected ByteSource openObject(String name) throws IOException {
        return store.open(new S3Location(bucket(), name));
    }

    @Override
    protected long sizeOf(String name) throws IOException {
        return store.head(new S3Location(bucket(), name)).size();
    }

    /** Listing is S3-only for now: verify-backup reads buckets, not Azure containers. */
    @Override
    public List<String> list(String dirKey) throws IOException {
        return store.list(location(dirKey + "/"));
    }

    /** No such key: absent. No such bucket: nothing in it can be told, so that is the error. */
    @Override
    protected boolean isAbsent(IOException e) {
        return e instanceof ObjectNotFoundException n && !"NoSuchBucket".equals(n.errorCode());
    }
}
