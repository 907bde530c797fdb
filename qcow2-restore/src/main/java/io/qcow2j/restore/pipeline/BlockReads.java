package io.qcow2j.restore.pipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The reads of one block that go out at once: a remote source answers each read after a round
 * trip, so a worker that read its block's extents one after the other would wait that many round
 * trips. The reads run on a pool shared by all workers, whose size is the ceiling on data reads in
 * flight; every read is waited for before the block's buffer is used again, even after a failure
 * or an interrupt. Not thread-safe: one per worker.
 */
final class BlockReads {
    private final ExecutorService pool;
    private final List<Future<?>> pending = new ArrayList<>();
    private final List<Long> guestOffsets = new ArrayList<>();

    /** @param pool where the reads run; its thread count bounds the reads in flight */
    BlockReads(ExecutorService pool) {
        this.pool = pool;
    }

    /** Starts {@code read}, which fills bytes of the block at guest offset {@code guestOffset}. */
    void submit(long guestOffset, Uninterruptible.IoTask<?> read) {
        pending.add(pool.submit(read::call));
        guestOffsets.add(guestOffset);
    }

    /**
     * Waits for every read started since the last call. An interrupt does not cut the wait short
     * (a read still filling the buffer would corrupt the next block) and is restored afterwards.
     *
     * @throws Failures.GuestIOException the first failed read in the order they were started (guest
     *                                   order), with its guest offset, when it failed with an I/O error
     */
    void awaitAll() throws IOException {
        boolean interrupted = false;
        Throwable first = null;
        long firstAt = -1;
        try {
            for (int i = 0; i < pending.size(); i++) {
                while (true) {
                    try {
                        pending.get(i).get();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        if (first == null) {
                            first = e.getCause();
                            firstAt = guestOffsets.get(i);
                        }
                        break;
                    }
                }
            }
        } finally {
            pending.clear();
            guestOffsets.clear();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (first instanceof IOException io) {
            throw new Failures.GuestIOException(firstAt, io);
        }
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first instanceof Error err) {
            throw err;
        }
        if (first != null) {
            throw new IOException(first);
        }
    }
}
