package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
import io.qcow2j.restore.oadp.BackupLocation;
import io.qcow2j.restore.oadp.InvalidBackupLayoutException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backup location in a bucket: key {@code k} is the object {@code <prefix>/k}, joined as the
 * kubevirt-datamover controller joins them (one trailing {@code /} of the prefix dropped; an empty
 * prefix adds nothing). A missing object reads as absent; a missing bucket, refused credentials or
 * a network failure are {@link ObjectStoreException}s naming {@code s3://bucket/key}. Does not own
 * the store: close that when done.
 */
public final class S3BackupLocation implements BackupLocation {
    private final ObjectStore store;
    private final String bucket;
    private final String prefix;

    /**
     * @param prefix the location's prefix, in full (the controller's already ends in
     *               {@code -kubevirt-datamover}); empty or null for the bucket's top
     * @throws IllegalArgumentException when the bucket name is empty or holds a {@code /}
     */
    public S3BackupLocation(ObjectStore store, String bucket, String prefix) {
        this.store = Objects.requireNonNull(store, "store");
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        String p = prefix == null ? "" : prefix;
        this.prefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        new S3Location(bucket, "x"); // checks the bucket name now, not at the first request
    }

    /** The object of {@code key}. */
    public S3Location location(String key) {
        String k = key.startsWith("/") ? key.substring(1) : key;
        return new S3Location(bucket, prefix.isEmpty() ? k : prefix + "/" + k);
    }

    /** The store the objects are read from. */
    public ObjectStore store() {
        return store;
    }

    @Override
    public String name() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String nameOf(String key) {
        return location(key).toString();
    }

    @Override
    public Optional<byte[]> read(String key, long maxBytes) throws IOException {
        Optional<ByteSource> opened = open(key);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        try (ByteSource s = opened.get()) {
            long size = s.size();
            if (size > maxBytes) {
                throw new InvalidBackupLayoutException(s.name(), null, "object is " + size
                        + " bytes, larger than any plausible metadata object (limit " + maxBytes + "); not downloaded");
            }
            BackupLocation.requireHeapToRead(s.name(), size);
            byte[] content = new byte[(int) size];
            s.readFully(ByteBuffer.wrap(content), 0, "metadata");
            return Optional.of(content);
        }
    }

    @Override
    public Optional<ByteSource> open(String key) throws IOException {
        try {
            return Optional.of(store.open(location(key)));
        } catch (ObjectNotFoundException e) {
            return absent(e);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(store.head(location(key)).size());
        } catch (ObjectNotFoundException e) {
            absent(e);
            return OptionalLong.empty();
        }
    }

    @Override
    public List<String> list(String dirKey) throws IOException {
        return store.list(location(dirKey + "/"));
    }

    /** No such key: absent. No such bucket: nothing in it can be told, so that is the error. */
    private static <T> Optional<T> absent(ObjectNotFoundException e) throws ObjectNotFoundException {
        if ("NoSuchBucket".equals(e.errorCode())) {
            throw e;
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name();
    }
}
