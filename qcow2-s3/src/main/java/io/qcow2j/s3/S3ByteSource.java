package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.remote.RemoteByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An S3 object as a {@link ByteSource}: each read is one ranged GET (more only when a
 * body is cut short or an attempt fails), streamed straight into the caller's buffer. The size is the
 * one the opening HEAD saw; every GET sends that HEAD's entity tag as {@code If-Match}. Thread-safe:
 * reads share the store's connection pool, nothing else. Made by {@link ObjectStore#open(S3Location)}.
 */
public final class S3ByteSource extends RemoteByteSource {
    private final ObjectStore store;
    private final ObjectInfo info;

    S3ByteSource(ObjectStore store, ObjectInfo info) {
        super(info.location().toString(), info.size(), store.settings().maxConnections());
        this.store = store;
        this.info = info;
    }

    /** The object read. */
    public S3Location location() {
        return info.location();
    }

    /** Size and entity tag from the opening HEAD. */
    public ObjectInfo info() {
        return info;
    }

    /** @throws ObjectStoreException naming the object, the range and the last failure */
    @Override
    protected void fetch(ByteBuffer dst, long position, int length, String structure) throws IOException {
        store.read(info, dst, position, length, structure);
    }

    /**
     * Reads the parts with one ranged GET (more only when a body is cut short or an attempt fails)
     * from the first part to the end of the last; the bytes between parts are dropped.
     *
     * @throws InvalidImageException when the object ends before the last part does
     * @throws ObjectStoreException  when the store cannot give the bytes
     */
    @Override
    public void readFully(List<ReadPart> parts, String structure) throws IOException {
        long size = size(); // also refuses a closed source
        ByteSource.checkParts(parts);
        List<ReadPart> wanted = parts.stream().filter(p -> p.dst().hasRemaining()).toList();
        if (wanted.isEmpty()) {
            return;
        }
        ReadPart last = wanted.get(wanted.size() - 1);
        if (last.end() > size) {
            throw new InvalidImageException(name(), structure, last.position(), "object ends at " + size
                    + ", before the end of the " + structure + " (truncated image?)");
        }
        if (wanted.size() == 1) {
            readFully(last.dst(), last.position(), structure);
        } else {
            store.read(info, wanted, structure);
        }
    }
}
