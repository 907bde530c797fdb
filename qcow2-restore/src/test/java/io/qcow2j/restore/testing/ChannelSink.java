package io.qcow2j.restore.testing;

import io.qcow2j.restore.internal.target.Buffers;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.target.WriteFailedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Sink} over any {@link FileChannel} (a faulty one in the write-fault tests): an existing
 * file whose zero ranges are written as zeros, as the real target does where the kernel cannot
 * zero. {@link #beforeWrite} runs on the worker thread before every write, so a test can hold a
 * worker in the middle of a block.
 */
public final class ChannelSink implements Sink {
    private final Path path;
    private final FileChannel channel;
    private final AtomicLong written = new AtomicLong();
    private volatile long forced = -1;
    private volatile Runnable beforeWrite = () -> { };

    public ChannelSink(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Runs {@code hook} on the writing thread before each write. */
    public ChannelSink beforeWrite(Runnable hook) {
        this.beforeWrite = hook;
        return this;
    }

    /** Bytes written so far (zeros included). */
    public long written() {
        return written.get();
    }

    /** {@link #written()} at the last {@link #force()}, or -1 before it. */
    public long forcedAt() {
        return forced;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public TargetKind kind() {
        return TargetKind.EXISTING_FILE;
    }

    @Override
    public boolean direct() {
        return false;
    }

    @Override
    public boolean readsAsZeros() {
        return false;
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        beforeWrite.run();
        long pos = position;
        while (src.hasRemaining()) {
            try {
                int n = channel.write(src, pos);
                pos += n;
                written.addAndGet(n);
            } catch (IOException e) {
                throw new WriteFailedException(pos, e);
            }
        }
    }

    @Override
    public long zero(long offset, long length) throws IOException {
        for (long pos = offset; pos < offset + length; ) {
            int n = (int) Math.min(Buffers.ZEROS_SIZE, offset + length - pos);
            write(Buffers.zeros(n), pos);
            pos += n;
        }
        return 0;
    }

    @Override
    public int minZeroRun() {
        return Integer.MAX_VALUE;
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void force() throws IOException {
        channel.force(true);
        forced = written.get();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
