package io.qcow2j.core.internal.format;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The L2 tables of a validation pass over a remote image, fetched ahead of it: every table's bytes
 * are requested at once, as far as {@code budget} bytes not yet validated allow, while the pass
 * decodes and checks them in order on its own thread. A pass that read its tables one after the
 * other waited a round trip per table (eight for a 4 GiB disk of 64 KiB clusters); now it waits
 * about one. A fetch that fails is dropped: the pass then reads that table itself, so it fails
 * with the same error, at the same table, as it would without the prefetch. Not thread-safe: the
 * pass's thread alone calls it.
 */
final class TablePrefetch implements AutoCloseable {
    private final ByteSource source;
    private final ExecutorService reads;
    private final long budget;
    /** {position, length} of each table's bytes the pass reads, in the pass's order. */
    private final List<long[]> ranges;
    private final List<Future<ByteBuffer>> fetches = new ArrayList<>();
    /** Bytes requested and not yet handed to the pass. */
    private long ahead;
    /** The first range not yet handed to the pass. */
    private int taken;

    /**
     * @param ranges {position, length} of each table's bytes, in the order the pass reads them
     * @param budget bytes fetched ahead of the pass at most (at least one table is always fetched)
     */
    TablePrefetch(ByteSource source, ExecutorService reads, List<long[]> ranges, long budget) {
        this.source = source;
        this.reads = reads;
        this.ranges = ranges;
        this.budget = budget;
        submit();
    }

    private void submit() {
        while (fetches.size() < ranges.size()) {
            long[] r = ranges.get(fetches.size());
            if (fetches.size() > taken && ahead + r[1] > budget) {
                return;
            }
            ahead += r[1];
            fetches.add(reads.submit(() -> {
                ByteBuffer b = ByteBuffer.allocate((int) r[1]);
                source.readFully(b, r[0], "L2 table");
                return b.flip();
            }));
        }
    }

    /**
     * The bytes of range {@code index} (the next one of the pass), waiting for them; null when their
     * fetch failed (the pass reads them itself). Starts further fetches as the budget frees.
     */
    ByteBuffer take(int index) throws IOException {
        if (index != taken) {
            throw new IllegalStateException("table " + index + " taken out of order, expected " + taken);
        }
        Future<ByteBuffer> f = fetches.get(index);
        ByteBuffer bytes;
        try {
            bytes = f.get();
        } catch (ExecutionException | CancellationException e) {
            bytes = null; // read again by the pass, which reports the failure as its own
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading L2 tables of " + source.name());
        } finally {
            fetches.set(index, null);
            ahead -= ranges.get(index)[1];
            taken++;
        }
        submit();
        return bytes;
    }

    /** Cancels what the pass did not take (after a failure): those bytes are not wanted. */
    @Override
    public void close() {
        for (Future<ByteBuffer> f : fetches) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }
}
