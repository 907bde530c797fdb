package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.SourceAccessException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The data reads of remote images for a few consecutive blocks, sent at once: a remote source
 * answers each read after a round trip, so reading extents one after the other would wait that
 * many round trips. One image's extents whose bytes lie at most {@link #MERGE_GAP} apart in its
 * file go out as one scattered read ({@link io.qcow2j.core.ByteSource#readFully(List, String)}: one
 * request, the gap's bytes dropped), across the blocks' boundaries too (an incremental image holds
 * neighbouring guest clusters near each other). The reads run on a pool shared by the run, whose
 * size is the ceiling on data reads in flight. Not thread-safe: the planning thread's alone; the
 * {@link Fetch} it starts may be waited for by any thread.
 */
final class BlockReads {
    /**
     * Gap between an image's extents in its file up to which one request reads both: a request
     * costs the store (and this process) more than 256 KiB of bytes do; the requests and bytes
     * saved and spent at this value are in docs/decisions.md.
     */
    static final long MERGE_GAP = 256 << 10;
    /**
     * The longest merged read, a block's length: a cancelled restore waits for the reads in flight
     * (they fill buffers), and a slow store sends one block in the time it did before reads merged
     * across blocks (16 MiB saved about 100 more of S1's 3,000 requests).
     */
    static final long MAX_MERGED = BlockPlanner.BLOCK;

    private final ExecutorService pool;
    private final List<Wanted> wanted = new ArrayList<>();

    /** Per read started: where it goes in the guest, and which image and file offset it reads. */
    private record PendingRead(long guestOffset, String image, long hostOffset) {
    }

    /** An extent's bytes to read: where in which image, into which slice of the block. */
    private record Wanted(Qcow2Image image, int imageIndex, long hostOffset, ByteBuffer into, long guestOffset) {
        long hostEnd() {
            return hostOffset + into.remaining();
        }
    }

    /** @param pool where the reads run; its thread count bounds the reads in flight */
    BlockReads(ExecutorService pool) {
        this.pool = pool;
    }

    /**
     * Adds a read of {@code into.remaining()} bytes of {@code image} (number {@code imageIndex} of
     * the chain) at {@code hostOffset}, the block's bytes at guest offset {@code guestOffset};
     * nothing is read before {@link #start()}.
     */
    void add(int imageIndex, Qcow2Image image, long hostOffset, ByteBuffer into, long guestOffset) {
        wanted.add(new Wanted(image, imageIndex, hostOffset, into, guestOffset));
    }

    /**
     * Starts the reads added since the last call: per image in file order, neighbours at most
     * {@link #MERGE_GAP} apart (and never overlapping) merged into one read.
     *
     * @return the reads started, to wait for before their buffers are used again
     */
    Fetch start() {
        if (wanted.isEmpty()) {
            return Fetch.NONE;
        }
        List<Wanted> order = new ArrayList<>(wanted);
        wanted.clear();
        List<Future<?>> pending = new ArrayList<>();
        List<PendingRead> reads = new ArrayList<>();
        order.sort(Comparator.comparingInt(Wanted::imageIndex).thenComparingLong(Wanted::hostOffset));
        int from = 0;
        for (int i = 1; i <= order.size(); i++) {
            if (i < order.size() && mergeable(order.get(from), order.get(i - 1), order.get(i))) {
                continue;
            }
            submit(order.subList(from, i), pending, reads);
            from = i;
        }
        return new Fetch(pending, reads);
    }

    private static boolean mergeable(Wanted first, Wanted previous, Wanted next) {
        return next.image == previous.image && next.hostOffset >= previous.hostEnd()
                && next.hostOffset - previous.hostEnd() <= MERGE_GAP && next.hostEnd() - first.hostOffset <= MAX_MERGED;
    }

    private void submit(List<Wanted> run, List<Future<?>> pending, List<PendingRead> reads) {
        Qcow2Image image = run.get(0).image;
        if (run.size() == 1) {
            Wanted w = run.get(0);
            pending.add(pool.submit(() -> {
                image.source().readFully(w.into, w.hostOffset, "data cluster");
                return null;
            }));
        } else {
            List<ReadPart> parts = run.stream().map(w -> new ReadPart(w.hostOffset, w.into)).toList();
            pending.add(pool.submit(() -> {
                image.source().readFully(parts, "data cluster");
                return null;
            }));
        }
        reads.add(new PendingRead(run.stream().mapToLong(Wanted::guestOffset).min().orElseThrow(), image.name(),
                run.get(0).hostOffset));
    }

    /** Whether no read was added since the last {@link #start()}. */
    boolean isEmpty() {
        return wanted.isEmpty();
    }

    /**
     * Reads started together. Every block they fill waits for all of them before its buffer is
     * used (merged reads cross blocks); waiting is thread-safe and may happen more than once.
     */
    static final class Fetch {
        /** No reads. */
        static final Fetch NONE = new Fetch(List.of(), List.of());

        private final List<Future<?>> pending;
        private final List<PendingRead> reads;

        private Fetch(List<Future<?>> pending, List<PendingRead> reads) {
            this.pending = pending;
            this.reads = reads;
        }

        /**
         * Waits for every read. An interrupt does not cut the wait short (a read still filling a
         * buffer would corrupt the next block written from it) and is restored afterwards.
         *
         * @throws Failures.GuestIOException the failed read with the lowest guest offset, with that
         *                                   offset, when it failed with an I/O error; its cause names
         *                                   the image and file offset
         */
        void awaitAll() throws IOException {
            boolean interrupted = false;
            Throwable first = null;
            PendingRead firstAt = null;
            for (int i = 0; i < pending.size(); i++) {
                while (true) {
                    try {
                        pending.get(i).get();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        if (firstAt == null || reads.get(i).guestOffset() < firstAt.guestOffset()) {
                            first = e.getCause();
                            firstAt = reads.get(i);
                        }
                        break;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (first instanceof IOException io) {
                throw new Failures.GuestIOException(firstAt.guestOffset(), SourceAccessException.reading(
                        firstAt.image(), "data cluster", firstAt.hostOffset(), io));
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

        /** As {@link #awaitAll()}, for when a failure is reported already: theirs come second. */
        void awaitQuietly() {
            try {
                awaitAll();
            } catch (IOException | RuntimeException e) {
                // the failure reported first stands
            }
        }
    }
}
