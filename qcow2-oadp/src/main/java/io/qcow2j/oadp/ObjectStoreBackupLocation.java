package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.remote.ObjectContainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backup location in an object store's bucket or container: key {@code k} is the object
 * {@code <prefix>/k}, joined as the kubevirt-datamover controller joins them (one trailing {@code /}
 * of the prefix dropped; an empty prefix adds nothing). The store is any {@link ObjectContainer}
 * (qcow2-s3's {@code ObjectStore.bucket(name)}, qcow2-azure's {@code BlobStore.container(name)}): a
 * missing object reads as absent; a missing bucket, refused credentials or a network failure are
 * the store's exceptions, naming {@code scheme://bucket/key}. Does not own the store: close that
 * when done.
 */
public final class ObjectStoreBackupLocation implements BackupLocation {
    private final ObjectContainer container;
    private final String scheme;
    private final String bucket;
    private final String prefix;

    /**
     * @param container the bucket or container
     * @param prefix    the location's prefix, in full (the controller's already ends in
     *                  {@code -kubevirt-datamover}); empty or null for the bucket's top
     */
    public ObjectStoreBackupLocation(ObjectContainer container, String prefix) {
        this.container = Objects.requireNonNull(container, "container");
        this.scheme = Objects.requireNonNull(container.scheme(), "scheme");
        this.bucket = Objects.requireNonNull(container.name(), "bucket");
        String p = prefix == null ? "" : prefix;
        this.prefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** The bucket or container the objects are read from. */
    public ObjectContainer container() {
        return container;
    }

    /** The bucket or container. */
    public String bucket() {
        return bucket;
    }

    /** The object name of {@code key}: the prefix and the key. */
    public String objectName(String key) {
        String k = key.startsWith("/") ? key.substring(1) : key;
        return prefix.isEmpty() ? k : prefix + "/" + k;
    }

    @Override
    public String name() {
        return scheme + "://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String nameOf(String key) {
        return scheme + "://" + bucket + "/" + objectName(key);
    }

    private ByteSource openObject(String name) throws IOException {
        return container.open(name);
    }

    private long sizeOf(String name) throws IOException {
        return container.size(name);
    }

    private boolean isAbsent(IOException e) {
        return container.isAbsent(e);
    }

    /** Listing: what the store offers ({@link ObjectContainer#list}); verify-backup needs it. */
    @Override
    public List<String> list(String dirKey) throws IOException {
        return container.list(objectName(dirKey + "/"));
    }

    @Override
    public Optional<ByteSource> open(String key) throws IOException {
        try {
            return Optional.of(openObject(objectName(key)));
        } catch (IOException e) {
            if (isAbsent(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(sizeOf(objectName(key)));
        } catch (IOException e) {
            if (isAbsent(e)) {
                return OptionalLong.empty();
            }
            throw e;
        }
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
    public String toString() {
        return name();
    }
}
