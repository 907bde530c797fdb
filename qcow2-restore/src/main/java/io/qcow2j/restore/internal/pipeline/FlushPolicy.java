package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.target.Sink;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes written and, every {@code every} bytes, starts a flush of the sink in the
 * background ({@link Sink#flush()}: fdatasync, then the clean pages dropped), so the device writes
 * while the restore produces and the final force has little left to do. At most one flush runs at a
 * time; a direct sink leaves no dirty pages behind and is never flushed early.
 */
final class FlushPolicy implements AutoCloseable {
    private final Sink sink;
    private final long every;
    private final Failures failures;
    private final ExecutorService flusher;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong sinceFlush = new AtomicLong();
    private final AtomicBoolean pending = new AtomicBoolean();

    FlushPolicy(Sink sink, long every, Failures failures, ThreadFactory threads) {
        this.sink = sink;
        this.every = sink.direct() ? 0 : every;
        this.failures = failures;
        this.flusher = this.every > 0 ? Executors.newSingleThreadExecutor(threads) : null;
    }

    /** Counts {@code n} bytes written to the sink. */
    void wrote(long n) {
        written.addAndGet(n);
        if (every > 0 && sinceFlush.addAndGet(n) >= every && pending.compareAndSet(false, true)) {
            sinceFlush.set(0);
            flusher.execute(() -> {
                try {
                    sink.flush();
                } catch (IOException e) {
                    failures.record(-1, new IOException("background flush (fdatasync) failed: " + e.getMessage(), e));
                } finally {
                    pending.set(false);
                }
            });
        }
    }

    /** Bytes written or zeroed on the sink so far. */
    long written() {
        return written.get();
    }

    /** Waits for a running flush to end. */
    @Override
    public void close() {
        if (flusher != null) {
            flusher.shutdown();
            Pipeline.awaitQuietly(flusher);
        }
    }
}
