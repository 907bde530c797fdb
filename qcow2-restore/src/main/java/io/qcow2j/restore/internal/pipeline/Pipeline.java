package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.CorruptDataException;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.SourceAccessException;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.WriteFailedException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Streams a validated chain into a {@link Sink}: the calling thread plans the composed disk
 * ({@link BlockPlanner}), gives each block a buffer and starts its remote reads
 * ({@link FetchAhead}); worker threads assemble, hash and write each block ({@link BlockWriter})
 * in any order; at most {@code workers} buffers and {@code 2 * workers} pieces of work are in
 * flight, so memory is bounded whatever the disk size. The sink is forced to stable storage
 * before {@link #run()} returns.
 */
public final class Pipeline {
    private final List<Qcow2Image> images;
    private final Sink sink;
    private final PipelineSettings settings;
    private final AtomicBoolean stop;

    /**
     * @param images   the validated chain, oldest first
     * @param sink     where the disk goes, opened for the newest image's virtual size
     * @param settings how to run
     * @param stop     set to request a stop; the run then ends with a cancelled {@link PipelineException}
     */
    public Pipeline(List<Qcow2Image> images, Sink sink, PipelineSettings settings, AtomicBoolean stop) {
        this.images = List.copyOf(images);
        this.sink = sink;
        this.settings = settings;
        this.stop = stop;
    }

    /**
     * Writes the whole disk and forces it to stable storage.
     *
     * @throws PipelineException the run stopped after it may have written (the sink is incomplete)
     */
    public PipelineResult run() throws IOException {
        // images in object storage: a window's L2 slices are fetched from all of them at once
        int remote = images.stream().mapToInt(i -> i.source().preferredConcurrency()).max().orElse(0);
        int lookupThreads = Math.min(images.size(), remote);
        ExecutorService lookups = lookupThreads > 1 ? Executors.newFixedThreadPool(lookupThreads, settings.threads())
                : null;
        // and the blocks' data reads go out ahead of the workers, on as many threads as the sources ask for
        ExecutorService reads = remote > 0 ? Executors.newFixedThreadPool(remote, settings.threads()) : null;
        try {
            return run(new Composition(images, lookups), reads);
        } finally {
            if (lookups != null) {
                lookups.shutdownNow();
            }
            if (reads != null) {
                reads.shutdown(); // idle by now: every read was waited for before its buffer went back
            }
        }
    }

    private PipelineResult run(Composition composition, ExecutorService reads) throws IOException {
        long size = composition.virtualSize();
        long start = System.nanoTime();
        DiskDigest digest = new DiskDigest(size);
        Failures failures = new Failures();
        int workers = settings.workers();
        BufferPool buffers = new BufferPool(BlockPlanner.BLOCK, workers);
        Queue<BlockWriter> writers = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(workers, settings.threads());
        Semaphore inFlight = new Semaphore(2 * workers);
        long stoppedAt;
        try (ProgressDispatcher progress = new ProgressDispatcher(settings.progress(), settings.threads());
                FlushPolicy flush = new FlushPolicy(sink, settings.flushEvery(), failures, settings.threads())) {
            Counters counters = new Counters(flush, progress);
            ThreadLocal<BlockWriter> writer = ThreadLocal.withInitial(() -> {
                BlockWriter w = new BlockWriter(images, sink, digest, counters, reads != null);
                writers.add(w);
                return w;
            });
            Work work = new Work(pool, inFlight, failures, counters, writer, buffers, reads);
            BlockPlanner planner = new BlockPlanner(composition, sink.readsAsZeros(), work);
            try {
                stoppedAt = planner.plan();
            } catch (BlockPlanner.InterruptedWhilePlanning | InterruptedException | InterruptedIOException e) {
                Thread.currentThread().interrupt();
                stoppedAt = counters.done();
            } catch (IOException | RuntimeException | Error e) {
                // found while composing, after writing began (an L2 table read again and now bad, a
                // file that changed or vanished): the target is incomplete, whatever the error says
                failures.record(planner.position(), e);
                stoppedAt = -1;
            } finally {
                pool.shutdown();
                awaitQuietly(pool);
                writers.forEach(BlockWriter::close);
            }
            Throwable f = failures.first();
            if (f != null) {
                // a failure tied to no block (a background flush) stopped the run where planning was
                long at = failures.offset() >= 0 ? failures.offset() : planner.position();
                throw new PipelineException(at, reason(f), f, false);
            }
            if (stoppedAt >= 0 || stop.get()) {
                throw new PipelineException(Math.max(stoppedAt, 0), "restore cancelled", null, true);
            }
            if (Thread.currentThread().isInterrupted()) {
                // interrupted after the last block was handed out: the writes are not known to be durable,
                // and forcing would only fail with a reason-less ClosedByInterruptException
                throw new PipelineException(-1, "restore interrupted before the final flush to stable storage", null,
                        true);
            }
            try {
                sink.force();
            } catch (ClosedByInterruptException e) {
                throw new PipelineException(-1, "restore interrupted while flushing to stable storage", e, true);
            } catch (IOException e) {
                throw new PipelineException(-1, "flush to stable storage failed: " + e.getMessage(), e, false);
            }
            return new PipelineResult(counters.written(), counters.zeroSkipped(), counters.data(),
                    System.nanoTime() - start, digest.value());
        }
    }

    /**
     * The reason a failed run gives: a write failure says so; a source's failure names the image,
     * the structure and the file offset (its message), so the two cannot be confused.
     */
    private static String reason(Throwable f) {
        if (f instanceof CorruptDataException c) {
            return c.messageWithoutGuestOffset();
        }
        if (f instanceof WriteFailedException) {
            return "write failed: " + f.getMessage();
        }
        if (f instanceof SourceAccessException) {
            return "cannot read the chain: " + f.getMessage();
        }
        if (f instanceof Qcow2Exception) {
            return f.getMessage();
        }
        if (f instanceof OutOfMemoryError) {
            return "out of memory (" + f.getMessage() + ")";
        }
        if (f instanceof ClosedChannelException) {
            // not tied to one image (read on the planning thread): the chain was closed under the run
            return "an image of the chain was closed while the restore read it (" + f.getClass().getSimpleName() + ")";
        }
        String m = f.getMessage() != null ? f.getMessage() : f.getClass().getSimpleName();
        return f instanceof IOException ? "I/O error: " + m : "internal error: " + f;
    }

    /** Hands planned work to the workers, at most {@code 2 * workers} pieces at a time. */
    private final class Work implements BlockPlanner.Scheduler {
        private final ExecutorService pool;
        private final Semaphore inFlight;
        private final Failures failures;
        private final Counters counters;
        private final ThreadLocal<BlockWriter> writer;
        private final BufferPool buffers;
        private final FetchAhead fetchAhead;

        Work(ExecutorService pool, Semaphore inFlight, Failures failures, Counters counters,
                ThreadLocal<BlockWriter> writer, BufferPool buffers, ExecutorService reads) {
            this.pool = pool;
            this.inFlight = inFlight;
            this.failures = failures;
            this.counters = counters;
            this.writer = writer;
            this.buffers = buffers;
            this.fetchAhead = new FetchAhead(images, buffers, reads, this::write);
        }

        @Override
        public boolean stopRequested() {
            return stop.get() || Thread.currentThread().isInterrupted();
        }

        @Override
        public boolean failed() {
            return failures.any();
        }

        @Override
        public void block(Block b) throws InterruptedException {
            if (stopping()) {
                fetchAhead.discard(); // no more reads: the rest of the window is dropped quickly
                return;
            }
            fetchAhead.add(b);
        }

        @Override
        public void windowDone() throws InterruptedException {
            handOut();
        }

        /** Hands out the blocks planned so far, unless the run is stopping. */
        private void handOut() throws InterruptedException {
            if (stopping()) {
                fetchAhead.discard();
            } else {
                fetchAhead.flush();
            }
        }

        private boolean stopping() {
            return stopRequested() || failed();
        }

        /** The buffer goes back only once no read fills it any more, even when the write never ran. */
        private void write(Block b, ByteBuffer buf, BlockReads.Fetch fetch) throws InterruptedException {
            submit(b.start(), () -> {
                writer.get().write(b, buf, fetch);
                return null;
            }, () -> {
                fetch.awaitQuietly();
                buffers.give(buf);
            });
        }

        @Override
        public void zeroRun(long start, long end) throws InterruptedException {
            handOut(); // work goes out in guest order: one worker meets a failure where it is first
            submit(start, () -> {
                try {
                    counters.zeroRun(sink, start, end - start);
                } catch (IOException ex) {
                    throw Failures.GuestIOException.writing(start, ex);
                }
                counters.done(end - start);
                return null;
            }, () -> { });
        }

        @Override
        public void zerosSkipped(long start, long end) {
            counters.zerosSkipped(end - start);
            counters.done(end - start);
        }

        /** Runs {@code task} on a worker unless the run is stopping, then {@code after} in any case. */
        private void submit(long guestOffset, Uninterruptible.IoTask<?> task, Runnable after)
                throws InterruptedException {
            inFlight.acquire();
            pool.execute(() -> {
                try {
                    if (!failures.any() && !stop.get()) {
                        task.call();
                    }
                } catch (Throwable t) {
                    failures.record(guestOffset, t);
                } finally {
                    after.run();
                    inFlight.release();
                }
            });
        }
    }

    /** Waits for {@code pool} to finish; an interrupt is kept for later, workers are never left writing. */
    static void awaitQuietly(ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.DAYS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
