package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.ReadPart;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;

/**
 * An S3 object as a {@link ByteSource}: each read is one ranged GET (more only when a body is cut
 * short or an attempt fails), streamed straight into the caller's buffer. The size is the one the
 * opening HEAD saw; every GET sends that HEAD's entity tag as {@code If-Match}. Thread-safe: reads
 * share the store's connection pool, nothing else. Made by {@link ObjectStore#open(S3Location)}.
 */
public final class S3ByteSource implements ByteSource {
    private final ObjectStore store;
    private final ObjectInfo info;
    private volatile boolean closed;

    S3ByteSource(ObjectStore store, ObjectInfo info) {
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

    /** {@code s3://bucket/key}. */
    @Override
    public String name() {
        return info.location().toString();
    }

    /** As many requests at once as the store's connection pool holds: each waits a round trip. */
    @Override
    public int preferredConcurrency() {
        return store.settings().maxConnections();
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return info.size();
    }

    /**
     * Reads {@code min(dst.remaining(), size - position)} bytes at {@code position} with one ranged GET
     * (retried as needed) and returns that count; -1 when {@code position} is at or past the end.
     *
     * @throws ObjectStoreException naming the object, the range and the last failure
     */
    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return read(dst, position, null);
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes; a range past the end fails before any request, and
     * a failed GET names {@code structure}.
     *
     * @throws InvalidImageException when the object ends before the range does
     * @throws ObjectStoreException  when the store cannot give the bytes
     */
    @Override
    public void readFully(ByteBuffer dst, long position, String structure) throws IOException {
        ensureOpen();
        long end = position + dst.remaining();
        if (end > info.size()) {
            throw new InvalidImageException(name(), structure, position, "object ends at " + info.size()
                    + ", before the end of the " + structure + " (truncated image?)");
        }
        if (dst.hasRemaining()) {
            read(dst, position, structure); // all of it: a read inside the object is never partial
        }
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
        ensureOpen();
        ByteSource.checkParts(parts);
        List<ReadPart> wanted = parts.stream().filter(p -> p.dst().hasRemaining()).toList();
        if (wanted.isEmpty()) {
            return;
        }
        ReadPart last = wanted.get(wanted.size() - 1);
        if (last.end() > info.size()) {
            throw new InvalidImageException(name(), structure, last.position(), "object ends at " + info.size()
                    + ", before the end of the " + structure + " (truncated image?)");
        }
        if (wanted.size() == 1) {
            read(last.dst(), last.position(), structure);
        } else {
            store.read(info, wanted, structure);
        }
    }

    private int read(ByteBuffer dst, long position, String structure) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        ensureOpen();
        if (position >= info.size()) {
            return -1;
        }
        int length = (int) Math.min(dst.remaining(), info.size() - position);
        if (length > 0) {
            store.read(info, dst, position, length, structure);
        }
        return length;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /** Marks this source closed; the store and its connections stay open. */
    @Override
    public void close() {
        closed = true;
    }
}
