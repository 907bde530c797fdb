package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
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
     * The parts with one ranged GET (more only when a body is cut short or an attempt fails) from the
     * first part to the end of the last; the bytes between parts are dropped.
     *
     * @throws ObjectStoreException when the store cannot give the bytes
     */
    @Override
    protected void fetchParts(List<ReadPart> parts, String structure) throws IOException {
        store.read(info, parts, structure);
    }
}
