package io.qcow2j.restore.hardening;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link FileChannel} over a real one that fails like a full disk: the first write reaching
 * {@code failAt} (and every write after it) throws {@code IOException("injected: No space left on
 * device")}, after writing the bytes before {@code failAt} as a real short write would. Optionally
 * {@link #force} fails too (a lost fsync).
 */
final class FaultyChannel extends FileChannel {
    static final String MESSAGE = "injected: No space left on device";

    private final FileChannel delegate;
    private final long failAt;
    private final boolean failForce;
    private final AtomicLong firstFailedPosition = new AtomicLong(-1);
    private final AtomicInteger failures = new AtomicInteger();

    FaultyChannel(FileChannel delegate, long failAt, boolean failForce) {
        this.delegate = delegate;
        this.failAt = failAt;
        this.failForce = failForce;
    }

    /** Where the first failing write started, or -1. */
    long firstFailedPosition() {
        return firstFailedPosition.get();
    }

    /** How many writes (and forces) failed. */
    int failures() {
        return failures.get();
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        long end = position + src.remaining();
        if (end <= failAt) {
            return delegate.write(src, position);
        }
        if (position < failAt) { // the part that still fits, as a short write
            ByteBuffer head = src.duplicate();
            head.limit(head.position() + (int) (failAt - position));
            int n = delegate.write(head, position);
            src.position(src.position() + n);
            return n;
        }
        firstFailedPosition.compareAndSet(-1, position);
        failures.incrementAndGet();
        throw new IOException(MESSAGE);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long pos = delegate.position();
        int n = write(src, pos);
        delegate.position(pos + n);
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += write(srcs[i]);
        }
        return total;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (failForce) {
            failures.incrementAndGet();
            throw new IOException("injected: Input/output error");
        }
        delegate.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        delegate.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        // a kernel-side copy into the target must not bypass the fault
        if (position + count > failAt) {
            firstFailedPosition.compareAndSet(-1, position);
            failures.incrementAndGet();
            throw new IOException(MESSAGE);
        }
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException("a mapped target would bypass fault injection");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
