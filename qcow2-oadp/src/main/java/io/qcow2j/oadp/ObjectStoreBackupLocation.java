package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backup location in an object store's bucket or container: key {@code k} is the object
 * {@code <prefix>/k}, joined as the kubevirt-datamover controller joins them (one trailing {@code /}
 * of the prefix dropped; an empty prefix adds nothing). The stores' modules say how an object is
 * opened and named; small objects are read here, the same way for all of them.
 */
public abstract class ObjectStoreBackupLocation implements BackupLocation {
    private final String scheme;
    private final String bucket;
    private final String prefix;

    /**
     * @param scheme the URI scheme for messages, e.g. {@code s3}
     * @param bucket the bucket or container
     * @param prefix the location's prefix, in full; empty or null for the bucket's top
     */
    protected ObjectStoreBackupLocation(String scheme, String bucket, String prefix) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        String p = prefix == null ? "" : prefix;
        this.prefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
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

    /** Opens object {@code name} (prefix included) for positional reads. */
    protected abstract ByteSource openObject(String name) throws IOException;

    /** The size of object {@code name}, from one metadata request. */
    protected abstract long sizeOf(String name) throws IOException;

    /** Whether {@code e}, thrown by {@link #openObject} or {@link #sizeOf}, says the object (not its bucket) is missing. */
    protected abstract boolean isAbsent(IOException e);

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
