package io.qcow2j.core.remote;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.ReadPart;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;

/**
 * An object in a remote store as a {@link ByteSource}: the size is the one its opening metadata
 * request saw, and each read is one ranged request, made by {@link #fetch}, for exactly the bytes
 * that exist (a read inside the object is never partial). Thread-safe when {@code fetch} is.
 */
public abstract class RemoteByteSource implements ByteSource {
    private final String name;
    private final long size;
    private final int concurrency;
    private volatile boolean closed;

    /**
     * @param name        the object, e.g. {@code s3://bucket/key}
     * @param size        its size at opening
     * @param concurrency reads worth having in flight at once
     */
    protected RemoteByteSource(String name, long size, int concurrency) {
        this.name = name;
        this.size = size;
        this.concurrency = concurrency;
    }

    /**
     * Reads exactly {@code length} bytes at {@code position} (all inside the object) into {@code dst},
     * which has room; a failure names {@code structure} (null: the object).
     */
    protected abstract void fetch(ByteBuffer dst, long position, int length, String structure) throws IOException;

    @Override
    public String name() {
        return name;
    }

    /** As many requests at once as the connection allows: each waits a round trip. */
    @Override
    public int preferredConcurrency() {
        return concurrency;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return size;
    }

    /**
     * Reads {@code min(dst.remaining(), size - position)} bytes at {@code position} with one ranged
     * request (retried as needed) and returns that count; -1 when {@code position} is at or past the end.
     */
    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return read(dst, position, null);
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes; a range past the end fails before any request.
     *
     * @throws InvalidImageException when the object ends before the range does
     */
    @Override
    public void readFully(ByteBuffer dst, long position, String structure) throws IOException {
        ensureOpen();
        if (position + dst.remaining() > size) {
            throw new InvalidImageException(name, structure, position, "object ends at " + size
                    + ", before the end of the " + structure + " (truncated image?)");
        }
        if (dst.hasRemaining()) {
            read(dst, position, structure);
        }
    }

    /**
     * Reads the parts (ascending, disjoint) with {@link #fetchParts}: a store that can send the span
     * from the first part to the end of the last as one ranged request makes one round trip of them.
     * A range past the end fails before any request.
     *
     * @throws InvalidImageException when the object ends before the last part does
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
        if (last.end() > size) {
            throw new InvalidImageException(name, structure, last.position(), "object ends at " + size
                    + ", before the end of the " + structure + " (truncated image?)");
        }
        if (wanted.size() == 1) {
            read(last.dst(), last.position(), structure);
        } else {
            fetchParts(wanted, structure);
        }
    }

    /**
     * Reads two or more non-empty parts, ascending, disjoint and inside the object; a failure names
     * {@code structure}. By default one {@link #fetch} per part; a store that streams a response
     * body overrides it with one request for the whole span, dropping the bytes between parts.
     */
    protected void fetchParts(List<ReadPart> parts, String structure) throws IOException {
        for (ReadPart p : parts) {
            fetch(p.dst(), p.position(), p.dst().remaining(), structure);
        }
    }

    private int read(ByteBuffer dst, long position, String structure) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        ensureOpen();
        if (position >= size) {
            return -1;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        if (length > 0) {
            fetch(dst, position, length, structure);
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
