package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.target.Sink;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/** What a run has done so far, updated by every worker; writes also drive the {@link FlushPolicy}. */
final class Counters {
    private final FlushPolicy flush;
    private final ProgressDispatcher progress;
    private final AtomicLong zeroSkipped = new AtomicLong();
    private final AtomicLong data = new AtomicLong();

    Counters(FlushPolicy flush, ProgressDispatcher progress) {
        this.flush = flush;
        this.progress = progress;
    }

    /** {@code n} bytes were written (or zeroed) on the sink. */
    void wrote(long n) {
        flush.wrote(n);
    }

    /** {@code n} bytes already read as zeros on the sink and were left alone. */
    void zerosSkipped(long n) {
        zeroSkipped.addAndGet(n);
    }

    /** {@code n} bytes came from data or compressed clusters. */
    void data(long n) {
        data.addAndGet(n);
    }

    /** {@code n} more guest bytes are finished. */
    void done(long n) {
        progress.add(n);
    }

    /**
     * Zeroes a run of the sink; what already read as zeros (holes of an existing file) counts as
     * skipped and, changing nothing, does not count towards the next flush.
     */
    void zeroRun(Sink sink, long start, long length) throws IOException {
        long skipped = sink.zero(start, length);
        zeroSkipped.addAndGet(skipped);
        if (skipped < length) {
            wrote(length - skipped);
        }
    }

    long written() {
        return flush.written();
    }

    long zeroSkipped() {
        return zeroSkipped.get();
    }

    long data() {
        return data.get();
    }

    long done() {
        return progress.done();
    }
}
