package io.qcow2j.core.testing;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local file that says its reads are remote ({@link #preferredConcurrency()} above 0), as an
 * object in S3 does, and counts them: the code paths qcow2j takes for object storage (read-ahead
 * while opening, whole L2 tables, L2 lookups in parallel), without a server. qcow2-s3's tests run
 * the same paths against S3Proxy.
 */
public final class RemoteLikeSource implements ByteSource {
    private final FileByteSource file;
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile long delayNanos;

    private RemoteLikeSource(FileByteSource file) {
        this.file = file;
    }

    public static RemoteLikeSource open(Path path) throws IOException {
        return new RemoteLikeSource(FileByteSource.open(path));
    }

    /** Reads made so far (each would be one request). */
    public long reads() {
        return reads.get();
    }

    /** Holds every read for {@code delay} before it starts, as a remote store's round trip would. */
    public RemoteLikeSource delayReads(Duration delay) {
        delayNanos = delay.toNanos();
        return this;
    }

    /** The most reads that were in progress at once. */
    public int maxReadsInFlight() {
        return maxInFlight.get();
    }

    /** Bytes read so far. */
    public long bytes() {
        return bytes.get();
    }

    @Override
    public String name() {
        return file.name();
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public int preferredConcurrency() {
        return 8;
    }

    /** One request per call, whatever it asks for, as an object store serves a range in one GET. */
    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        reads.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            if (delayNanos > 0) {
                try {
                    Thread.sleep(delayNanos / 1_000_000, (int) (delayNanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("read interrupted");
                }
            }
            return readNow(dst, position);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private int readNow(ByteBuffer dst, long position) throws IOException {
        int start = dst.position();
        long pos = position;
        while (dst.hasRemaining()) {
            int n = file.read(dst, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        int n = dst.position() - start;
        bytes.addAndGet(n);
        return n == 0 && dst.hasRemaining() ? -1 : n;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
