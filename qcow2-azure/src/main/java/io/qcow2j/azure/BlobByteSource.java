package io.qcow2j.azure;

import io.qcow2j.core.ReadPart;
import io.qcow2j.core.remote.RemoteByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A blob as a {@link io.qcow2j.core.ByteSource}: each read is one ranged GET (more only when a body
 * is cut short or an attempt fails; neighbouring parts share one), streamed straight into the caller's buffer. The size is the one
 * the opening properties request saw; every GET sends its ETag as {@code If-Match}. Thread-safe.
 * Made by {@link BlobStore#open(BlobLocation)}.
 */
public final class BlobByteSource extends RemoteByteSource {
    private final BlobStore store;
    private final BlobInfo info;

    BlobByteSource(BlobStore store, BlobInfo info) {
        super(info.location().toString(), info.size(), store.settings().maxConnections());
        this.store = store;
        this.info = info;
    }

    /** Size and ETag from the opening properties request. */
    public BlobInfo info() {
        return info;
    }

    @Override
    protected void fetch(ByteBuffer dst, long position, int length, String structure) throws IOException {
        store.read(info, dst, position, length, structure);
    }

    /** The parts with one ranged GET from the first to the end of the last; the bytes between are dropped. */
    @Override
    protected void fetchParts(List<ReadPart> parts, String structure) throws IOException {
        store.read(info, parts, structure);
    }
}
