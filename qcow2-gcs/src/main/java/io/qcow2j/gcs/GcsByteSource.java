package io.qcow2j.gcs;

import io.qcow2j.core.ReadPart;
import io.qcow2j.core.remote.RemoteByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An object as a {@link io.qcow2j.core.ByteSource}: each read is one ranged GET (more only when a
 * body is cut short or an attempt fails; neighbouring parts share one), streamed straight into the caller's buffer. The size is
 * the one the opening metadata request saw; every GET is pinned to its generation. Thread-safe.
 * Made by {@link GcsStore#open(GcsLocation)}.
 */
public final class GcsByteSource extends RemoteByteSource {
    private final GcsStore store;
    private final GcsObjectInfo info;

    GcsByteSource(GcsStore store, GcsObjectInfo info) {
        super(info.location().toString(), info.size(), store.settings().maxConnections());
        this.store = store;
        this.info = info;
    }

    /** Size and generation from the opening metadata request. */
    public GcsObjectInfo info() {
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
