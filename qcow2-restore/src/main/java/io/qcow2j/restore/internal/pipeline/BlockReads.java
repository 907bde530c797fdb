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
 * The reads of one block that go out at once: a remote source answers each read after a round
 * trip, so a worker that read its block's extents one after the other would wait that many round
 * trips. One image's extents whose bytes lie at most {@link #MERGE_GAP} apart in its file go out
 * as one scattered read ({@link io.qcow2j.core.ByteSource#readFully(List, String)}: one request,
 * the gap's bytes dropped). The reads run on a pool shared by all workers, whose size is the
 * ceiling on data reads in flight; every read is waited for before the block's buffer is used
 * again, even after a failure or an interrupt. Not thread-safe: one per worker.
 */
final class BlockReads {
    /**
     * Gap between an image's extents in its file up to which one request reads both: a request
     * costs the store (and this process) more than 256 KiB of bytes do; the requests and bytes
     * saved and spent at this value are in docs/decisions.md.
     */
    static final long MERGE_GAP = 256 << 10;
    /** The longest merged read: its body arrives within one request's deadline. */
    static final long MAX_MERGED = 16 << 20;

    private final ExecutorService pool;
    private final List<Wanted> wanted = new ArrayList<>();
    private final List<Future<?>> pending = new ArrayList<>();
    /** Per pending read: where it goes in the guest, and which image and file offset it reads. */
    private final List<PendingRead> reads = new ArrayList<>();

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
     */
    void start() {
        if (wanted.isEmpty()) {
            return;
        }
        List<Wanted> order = new ArrayList<>(wanted);
        wanted.clear();
        order.sort(Comparator.comparingInt(Wanted::imageIndex).thenComparingLong(Wanted::hostOffset));
        int from = 0;
        for (int i = 1; i <= order.size(); i++) {
            if (i < order.size() && mergeable(order.get(from), order.get(i - 1), order.get(i))) {
                continue;
            }
            submit(order.subList(from, i));
            from = i;
        }
    }

    private static boolean mergeable(Wanted first, Wanted previous, Wanted next) {
        return next.image == previous.image && next.hostOffset >= previous.hostEnd()
                && next.hostOffset - previous.hostEnd() <= MERGE_GAP && next.hostEnd() - first.hostOffset <= MAX_MERGED;
    }

    private void submit(List<Wanted> run) {
        Qcow2Image image = run.get(0).image;
        PendingRead at = new PendingRead(run.stream().mapToLong(Wanted::guestOffset).min().orElseThrow(),
                image.name(), run.get(0).hostOffset);
        if (run.size() == 1) {
            Wanted w = run.get(0);
            submit(at, () -> {
                image.source().readFully(w.into, w.hostOffset, "data cluster");
                return null;
            });
            return;
        }
        List<ReadPart> parts = run.stream().map(w -> new ReadPart(w.hostOffset, w.into)).toList();
        submit(at, () -> {
            image.source().readFully(parts, "data cluster");
            return null;
        });
    }

    /** Starts {@code read}, which fills bytes of the block as {@code at} says. */
    private void submit(PendingRead at, Uninterruptible.IoTask<?> read) {
        pending.add(pool.submit(read::call));
        reads.add(at);
    }

    /**
     * Waits for every read started since the last call. An interrupt does not cut the wait short
     * (a read still filling the buffer would corrupt the next block) and is restored afterwards.
     *
     * @throws Failures.GuestIOException the first failed read in the order they were started (guest
     *                                   order), with its guest offset, when it failed with an I/O error;
     *                                   its cause names the image and file offset
     */
    void awaitAll() throws IOException {
        boolean interrupted = false;
        Throwable first = null;
        PendingRead firstAt = null;
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
                            firstAt = reads.get(i);
                        }
                        break;
                    }
                }
            }
        } finally {
            pending.clear();
            reads.clear();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (first instanceof IOException io) {
            throw new Failures.GuestIOException(firstAt.guestOffset(), SourceAccessException.reading(firstAt.image(),
                    "data cluster", firstAt.hostOffset(), io));
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
