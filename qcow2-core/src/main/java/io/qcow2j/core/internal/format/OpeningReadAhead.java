package io.qcow2j.core.internal.format;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The source an image is opened through when its reads are remote ({@link
 * ByteSource#preferredConcurrency()} above 0): the first read fetches the object's first bytes
 * (as many as {@link io.qcow2j.core.OpenOptions#openingReadAheadBytes()} says) in one request, and
 * every later read inside them is served from memory. qemu lays out the header, the refcount table,
 * the first refcount block and the L1 table in the first clusters, so with four clusters opening
 * costs one round trip instead of four. Reads that reach past the
 * prefix go to the source as they are, with its own errors. Used by one opening thread; dropped
 * once the image is open. Not a cache for data: the L2 tables and clusters are read directly.
 */
final class OpeningReadAhead implements ByteSource {
    private final ByteSource source;
    private final int prefixBytes;
    private ByteBuffer prefix;

    private OpeningReadAhead(ByteSource source, int prefixBytes) {
        this.source = source;
        this.prefixBytes = prefixBytes;
    }

    /**
     * {@code source} itself when it is local (reads cost no round trip) or {@code prefixBytes} is 0,
     * else a read-ahead of its first {@code prefixBytes} over it.
     */
    static ByteSource over(ByteSource source, int prefixBytes) {
        return source.preferredConcurrency() > 0 && prefixBytes > 0 ? new OpeningReadAhead(source, prefixBytes)
                : source;
    }

    @Override
    public String name() {
        return source.name();
    }

    @Override
    public long size() throws IOException {
        return source.size();
    }

    @Override
    public int preferredConcurrency() {
        return source.preferredConcurrency();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        ByteBuffer p = prefix(position, dst.remaining());
        if (p == null) {
            return source.read(dst, position);
        }
        int n = dst.remaining();
        dst.put(p.slice((int) position, n));
        return n;
    }

    @Override
    public void readFully(ByteBuffer dst, long position, String structure) throws IOException {
        ByteBuffer p = prefix(position, dst.remaining());
        if (p == null) {
            source.readFully(dst, position, structure);
        } else {
            dst.put(p.slice((int) position, dst.remaining()));
        }
    }

    /** The prefix when [position, position + length) lies inside it (read at the first call), else null. */
    private ByteBuffer prefix(long position, int length) throws IOException {
        if (position < 0 || position + length > prefixBytes) {
            return null;
        }
        if (prefix == null) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(prefixBytes, source.size()));
            source.readFully(b, 0, "header");
            prefix = b.flip();
        }
        return position + length <= prefix.limit() ? prefix : null;
    }

    /** Closes nothing: the image owns the source. */
    @Override
    public void close() {
    }
}
