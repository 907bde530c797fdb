package io.qcow2j.restore;

import io.qcow2j.core.Extent;
import io.qcow2j.core.ExtentReader;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams a validated {@link Chain} into a {@link Target}.
 *
 * <p>The caller's thread composes the chain one window at a time and cuts it into 4 MiB blocks at
 * fixed guest offsets; worker threads assemble each block in their own direct buffer (positional
 * reads of data extents, inflation of compressed clusters, zero fill), hash it for the
 * {@link DiskDigest}, and write it with positional writes, in any order. At most
 * {@code 2 * workers} blocks are in flight, so memory is bounded whatever the disk size. Success is
 * reported only after {@code force(true)}.
 *
 * <p>Cancel with {@link #cancel()} or by interrupting the calling thread: the run then ends with a
 * {@link RestoreIncompleteException}.
 */
public final class Restore {
    /** Guest bytes composed per window: metadata for one window at a time keeps memory flat. */
    static final long WINDOW = 64L << 20;
    /** Longest zero range handed to the kernel at once, so progress and cancellation stay responsive. */
    static final long MAX_ZERO_RUN = 1L << 30;
    /** Guest bytes one worker assembles and writes at once; a multiple of {@link DiskDigest#CHUNK}. */
    static final int BLOCK = 4 << 20;
    /** Chunks per block: one bit each in a {@code long}. */
    private static final int CHUNKS_PER_BLOCK = BLOCK / DiskDigest.CHUNK;

    private final Chain chain;
    private final Path targetPath;
    private final RestoreOptions options;
    private final AtomicBoolean cancelled = new AtomicBoolean();

    public Restore(Chain chain, Path target, RestoreOptions options) {
        this.chain = chain;
        this.targetPath = target;
        this.options = options;
    }

    /** Opens and validates {@code images} (oldest first) and restores them into {@code target}. */
    public static RestoreResult run(List<Path> images, Path target, RestoreOptions options) throws IOException {
        try (Chain chain = Chain.open(images, options.open())) {
            return new Restore(chain, target, options).run();
        }
    }

    /** Asks a running restore to stop; it ends with {@link RestoreIncompleteException}. */
    public void cancel() {
        cancelled.set(true);
    }

    /**
     * True once {@link #cancel()} was called, directly or because the thread running the restore
     * was interrupted. A restore cancelled before its last block was handed out ends with
     * {@link RestoreIncompleteException}; one cancelled later may still complete and report success.
     */
    public boolean isCancelled() {
        return cancelled.get();
    }

    /**
     * Checks the target, then writes the disk and forces it to stable storage.
     *
     * @throws InvalidChainException      the target cannot take the disk (nothing was written)
     * @throws io.qcow2j.core.Qcow2Exception an image's compression type cannot be decompressed in
     *                                    this JVM ({@link Chain#requireDecompressors()}; nothing
     *                                    was written)
     * @throws RestoreIncompleteException writing started and did not finish
     */
    public RestoreResult run() throws IOException {
        return uninterruptibly(this::openAndRun);
    }

    private RestoreResult openAndRun() throws IOException {
        chain.requireDecompressors();
        long size = chain.virtualSize();
        Target.Inspection inspection = Target.inspect(targetPath, size);
        if (inspection.kind() != Target.Kind.NEW_FILE) {
            for (Qcow2Image img : chain.images()) {
                if (img.source() instanceof io.qcow2j.core.FileByteSource f
                        && java.nio.file.Files.isSameFile(f.path(), targetPath)) {
                    throw new InvalidChainException(targetPath.toString(),
                            "the target is one of the chain's images (" + img.name() + "); refusing to overwrite it");
                }
            }
        }
        try (Target target = Target.open(inspection, size, options.targetIsZero(), options.directIo())) {
            return runOn(target);
        }
    }

    /** Restores into an already opened target (sized by the caller); does not close it. */
    public RestoreResult runInto(Target target) throws IOException {
        return uninterruptibly(() -> runOn(target));
    }

    private RestoreResult runOn(Target target) throws IOException {
        long size = chain.virtualSize();
        long start = System.nanoTime();
        Run run = new Run(target, size);
        run.execute();
        long nanos = System.nanoTime() - start;
        return new RestoreResult(target.path(), target.kind(), target.direct(), size, run.written.get(), run.zeroSkipped.get(),
                run.data.get(), nanos, run.digest.value(), chain.notes());
    }

    /** A piece of the restore that does I/O. */
    private interface IoTask<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code body} on its own thread and turns an interrupt of the caller into {@link #cancel()}.
     * The caller's thread must not do the I/O itself: an interrupt arriving during an image read or a
     * target resize closes that {@code FileChannel} (ClosedByInterruptException), which would escape
     * as a raw I/O error and break the chain's other readers instead of ending as a clean cancellation.
     */
    private <T> T uninterruptibly(IoTask<T> body) throws IOException {
        // interrupted already: cancel before the composing thread starts, or it may race ahead by a window
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            cancel();
        }
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(body::call);
        Thread t = new Thread(task, "qcow2j-restore-compose");
        t.setDaemon(true);
        t.start();
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancel(); // then wait for the workers to finish their blocks
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IOException(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** State of one execution. */
    private final class Run {
        final Target target;
        final long size;
        final DiskDigest digest;
        final AtomicLong written = new AtomicLong();
        final AtomicLong zeroSkipped = new AtomicLong();
        final AtomicLong data = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong failureOffset = new AtomicLong(-1);
        final AtomicLong sinceFlush = new AtomicLong();
        final AtomicBoolean flushPending = new AtomicBoolean();
        ExecutorService flusher;
        final Object progressLock = new Object();
        long reported;
        final List<Qcow2Image> images = chain.images();
        final List<WorkerState> states = new ArrayList<>();
        /** The pending zero run of an existing target; the composing thread's alone. */
        long zeroStart = -1;
        long zeroEnd = -1;
        final ThreadLocal<WorkerState> state = ThreadLocal.withInitial(this::newState);

        Run(Target target, long size) {
            this.target = target;
            this.size = size;
            this.digest = new DiskDigest(size);
        }

        private WorkerState newState() {
            WorkerState s = new WorkerState(images);
            synchronized (states) {
                states.add(s);
            }
            return s;
        }

        void execute() throws IOException {
            int workers = Math.max(1, options.workers());
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "qcow2j-restore");
                t.setDaemon(true);
                return t;
            });
            flusher = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "qcow2j-flush");
                t.setDaemon(true);
                return t;
            });
            if (options.releasePageCache()) {
                flusher.execute(target::openPageCacheRelease); // native access loads off the main thread
            }
            Semaphore inFlight = new Semaphore(2 * workers);
            Composer composer = new Composer(images);
            long stoppedAt = -1;
            try {
                for (long w = 0; w < size && failure.get() == null; w += WINDOW) {
                    if (cancelled.get() || Thread.currentThread().isInterrupted()) {
                        stoppedAt = w;
                        break;
                    }
                    List<ComposedExtent> window = composer.compose(w, WINDOW);
                    int k = 0;
                    long wEnd = Math.min(size, w + WINDOW);
                    long b = w;
                    while (b < wEnd && failure.get() == null) {
                        while (k < window.size() && window.get(k).end() <= b) {
                            k++;
                        }
                        ComposedExtent first = window.get(k);
                        if (first.kind() == Extent.Kind.ZERO && first.end() >= Math.min(wEnd, b + BLOCK)) {
                            // whole blocks inside one zero extent go together: most of a sparse disk
                            long to = first.end() >= wEnd ? wEnd : b + (first.end() - b) / BLOCK * BLOCK;
                            zeroSpan(pool, inFlight, b, to);
                            b = to;
                            continue;
                        }
                        long bEnd = Math.min(wEnd, b + BLOCK);
                        List<ComposedExtent> segs = new ArrayList<>();
                        for (int j = k; j < window.size() && window.get(j).start() < bEnd; j++) {
                            ComposedExtent c = window.get(j);
                            segs.add(new ComposedExtent(c.image(), c.extent().slice(b, bEnd)));
                        }
                        long blockStart = b;
                        b = bEnd;
                        if (segs.stream().allMatch(x -> x.kind() == Extent.Kind.ZERO)) {
                            zeroSpan(pool, inFlight, blockStart, bEnd); // zeros of several images
                            continue;
                        }
                        submitZeroRun(pool, inFlight, zeroStart, zeroEnd);
                        zeroStart = zeroEnd = -1;
                        inFlight.acquire();
                        pool.execute(() -> {
                            try {
                                if (failure.get() == null && !cancelled.get()) {
                                    block(blockStart, (int) (bEnd - blockStart), segs);
                                }
                            } catch (Throwable t) {
                                fail(blockStart, t);
                            } finally {
                                inFlight.release();
                            }
                        });
                    }
                }
                if (stoppedAt < 0 && failure.get() == null) {
                    submitZeroRun(pool, inFlight, zeroStart, zeroEnd);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stoppedAt = done.get();
            } finally {
                pool.shutdown();
                awaitQuietly(pool);
                flusher.shutdown();
                awaitQuietly(flusher);
                synchronized (states) {
                    states.forEach(WorkerState::close);
                }
            }
            Throwable f = failure.get();
            if (f != null) {
                String reason = f instanceof io.qcow2j.core.CorruptDataException c ? c.messageWithoutGuestOffset()
                        : f instanceof Qcow2Exception ? f.getMessage()
                        : f instanceof BlockIOException ? "write failed: " + f.getMessage() : "write failed: " + f;
                throw new RestoreIncompleteException(target.path().toString(), failureOffset.get(), reason, f);
            }
            if (stoppedAt >= 0 || cancelled.get()) {
                throw new RestoreIncompleteException(target.path().toString(), Math.max(stoppedAt, 0),
                        "restore cancelled", null);
            }
            if (Thread.currentThread().isInterrupted()) {
                // interrupted after the last block was handed out: the writes are not known to be durable,
                // and forcing would only fail with a reason-less ClosedByInterruptException
                throw new RestoreIncompleteException(target.path().toString(), -1,
                        "restore interrupted before the final flush to stable storage", null);
            }
            try {
                target.force();
            } catch (java.nio.channels.ClosedByInterruptException e) {
                throw new RestoreIncompleteException(target.path().toString(), -1,
                        "restore interrupted while flushing to stable storage", e);
            } catch (IOException e) {
                throw new RestoreIncompleteException(target.path().toString(), -1, "flush to stable storage failed: "
                        + e.getMessage(), e);
            }
            if (options.releasePageCache()) {
                target.releaseCleanPages(); // the last pages written since the last background flush
            }
        }

        private void awaitQuietly(ExecutorService pool) {
            boolean interrupted = false;
            while (true) {
                try {
                    if (pool.awaitTermination(1, TimeUnit.DAYS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // workers finish their block; we must not leave them writing
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * A zero span [{@code from}, {@code to}) of whole blocks: skipped on a target that reads as
         * zeros, else added to the pending zero run, which goes to a worker as one kernel call when
         * data interrupts it or it reaches {@link #MAX_ZERO_RUN}.
         */
        private void zeroSpan(ExecutorService pool, Semaphore inFlight, long from, long to)
                throws InterruptedException {
            if (!target.writeZeros()) {
                zeroSkipped.addAndGet(to - from);
                progress(to - from);
                return;
            }
            if (zeroEnd != from || zeroEnd - zeroStart + (to - from) > MAX_ZERO_RUN) {
                submitZeroRun(pool, inFlight, zeroStart, zeroEnd);
                zeroStart = from;
            }
            zeroEnd = to;
        }

        /** Zeroes [start, end) of the target in a worker (no-op for an empty run). */
        private void submitZeroRun(ExecutorService pool, Semaphore inFlight, long start, long end)
                throws InterruptedException {
            if (start < 0 || end <= start) {
                return;
            }
            inFlight.acquire();
            pool.execute(() -> {
                try {
                    if (failure.get() == null && !cancelled.get()) {
                        try {
                            zeroRun(start, end - start);
                        } catch (IOException ex) {
                            throw new BlockIOException(start, ex);
                        }
                        progress(end - start);
                    }
                } catch (Throwable t) {
                    fail(start, t);
                } finally {
                    inFlight.release();
                }
            });
        }

        /**
         * Counts written bytes and, every {@code flushEveryBytes}, starts a background fdatasync so
         * the device writes while we produce and the final force has little left to do.
         */
        private void wrote(long n) {
            written.addAndGet(n);
            // direct writes leave no dirty pages behind to start writeback for
            long every = target.direct() ? 0 : options.flushEveryBytes();
            if (every > 0 && sinceFlush.addAndGet(n) >= every && flushPending.compareAndSet(false, true)) {
                sinceFlush.set(0);
                flusher.execute(() -> {
                    try {
                        target.flushData();
                        if (options.releasePageCache()) {
                            target.releaseCleanPages();
                        }
                    } catch (IOException e) {
                        fail(-1, e);
                    } finally {
                        flushPending.set(false);
                    }
                });
            }
        }

        private void fail(long blockStart, Throwable t) {
            if (failure.compareAndSet(null, t)) {
                long off = blockStart;
                if (t instanceof io.qcow2j.core.CorruptDataException c) {
                    off = c.guestOffset();
                } else if (t instanceof BlockIOException b) {
                    off = b.guestOffset;
                }
                failureOffset.set(off);
            }
        }

        private void progress(long len) {
            long v = done.addAndGet(len);
            synchronized (progressLock) {
                if (v > reported) {
                    reported = v;
                    options.progress().progress(v, size);
                }
            }
        }

        /**
         * Assembles, hashes and writes one block that has data. Only the 64 KiB chunks holding data
         * are zero-filled where needed and hashed (all-zero chunks add nothing to the digest); zero
         * runs are skipped on a target that reads as zeros, handed to the kernel when long enough,
         * and otherwise written along with their neighbours.
         */
        private void block(long start, int len, List<ComposedExtent> segs) throws IOException {
            WorkerState ws = state.get();
            ByteBuffer buf = ws.block;
            buf.clear().limit(len);
            long dataBytes = 0;
            long dataChunks = 0; // bit i: chunk i of the block holds data
            for (ComposedExtent s : segs) {
                if (s.kind() == Extent.Kind.ZERO) {
                    continue;
                }
                int at = (int) (s.start() - start);
                dataChunks |= chunkBits(at, (int) s.length());
                ByteBuffer slice = buf.slice(at, (int) s.length());
                Extent e = s.extent();
                if (e.kind() == Extent.Kind.DATA) {
                    try {
                        images.get(s.image()).source().readFully(slice, e.hostOffset(), "data cluster");
                    } catch (IOException ex) {
                        throw new BlockIOException(e.guestOffset(), ex);
                    }
                } else {
                    ws.reader.read(images.get(s.image()), e, slice);
                }
                dataBytes += s.length();
            }
            int minKernelZero = target.minKernelZero();
            for (ComposedExtent s : segs) {
                if (s.kind() != Extent.Kind.ZERO) {
                    continue;
                }
                int at = (int) (s.start() - start);
                int n = (int) s.length();
                if (target.writeZeros() && n < minKernelZero) {
                    fillZeros(buf, at, n); // written with its neighbours
                } else {
                    // only where a data chunk needs its zeros for the hash
                    long bits = chunkBits(at, n) & dataChunks;
                    while (bits != 0) {
                        int c = Long.numberOfTrailingZeros(bits);
                        bits &= bits - 1;
                        int from = Math.max(at, c * DiskDigest.CHUNK);
                        int to = Math.min(at + n, (c + 1) * DiskDigest.CHUNK);
                        fillZeros(buf, from, to - from);
                    }
                }
            }
            long firstChunk = start / DiskDigest.CHUNK;
            for (long bits = dataChunks; bits != 0; bits &= bits - 1) {
                int c = Long.numberOfTrailingZeros(bits);
                digest.addChunk(firstChunk + c, buf, c * DiskDigest.CHUNK);
            }
            try {
                writeRuns(buf, start, segs, minKernelZero);
            } catch (IOException ex) {
                throw new BlockIOException(start, ex);
            }
            data.addAndGet(dataBytes);
            progress(len);
        }

        /**
         * Writes the block's bytes as few positional writes as possible: consecutive segments that
         * must be written go out together; zero runs are skipped (target reads as zeros) or zeroed
         * through the kernel ({@code minKernelZero} bytes or more).
         */
        private void writeRuns(ByteBuffer buf, long start, List<ComposedExtent> segs, int minKernelZero)
                throws IOException {
            boolean writeZeros = target.writeZeros();
            long runStart = -1;
            long runEnd = -1;
            for (ComposedExtent s : segs) {
                boolean zero = s.kind() == Extent.Kind.ZERO;
                if (!zero || writeZeros && s.length() < minKernelZero) {
                    if (runStart < 0) {
                        runStart = s.start();
                    }
                    runEnd = s.end();
                    continue;
                }
                writeRun(buf, start, runStart, runEnd);
                runStart = -1;
                if (writeZeros) {
                    zeroRun(s.start(), s.length());
                } else {
                    zeroSkipped.addAndGet(s.length());
                }
            }
            writeRun(buf, start, runStart, runEnd);
        }

        /**
         * Zeroes a run of the target; what already read as zeros (holes of an existing file) counts
         * as skipped and, changing nothing, does not count towards the next flush.
         */
        private void zeroRun(long start, long length) throws IOException {
            long skipped = target.zero(start, length);
            zeroSkipped.addAndGet(skipped);
            if (skipped < length) {
                wrote(length - skipped);
            }
        }

        private void writeRun(ByteBuffer buf, long blockStart, long runStart, long runEnd) throws IOException {
            if (runStart >= 0) {
                target.write(buf.slice((int) (runStart - blockStart), (int) (runEnd - runStart)), runStart);
                wrote(runEnd - runStart);
            }
        }
    }

    /** Bit mask of the chunks of a block that bytes [{@code at}, {@code at + n}) of it touch. */
    private static long chunkBits(int at, int n) {
        int first = at / DiskDigest.CHUNK;
        int last = (at + n - 1) / DiskDigest.CHUNK;
        long upTo = last == CHUNKS_PER_BLOCK - 1 ? -1L : (1L << (last + 1)) - 1;
        return upTo & (-1L << first);
    }

    private static void fillZeros(ByteBuffer buf, int at, int n) {
        buf.put(at, Target.ZEROS, 0, n);
    }

    /** An I/O error tied to the guest offset being produced. */
    private static final class BlockIOException extends IOException {
        private static final long serialVersionUID = 1L;
        final long guestOffset;

        BlockIOException(long guestOffset, IOException cause) {
            super(cause.getMessage(), cause);
            // a block or zero run can be up to a GiB long: report the byte that failed, not its start
            this.guestOffset = cause instanceof Target.WriteFailedException w ? w.position() : guestOffset;
        }
    }

    /** Per-worker buffers and decompressors, reused for every block. */
    private static final class WorkerState {
        /**
         * Block buffers of finished runs. First-touching 4 MiB of fresh native memory costs several
         * milliseconds (page faults), which dominates restoring small disks one after the other.
         */
        private static final java.util.Queue<ByteBuffer> IDLE_BLOCKS = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private static final int MAX_IDLE_BLOCKS = Math.max(2, Runtime.getRuntime().availableProcessors());

        final ByteBuffer block = takeBlock();
        final List<Qcow2Image> images;
        /** Inflates compressed clusters, keeping the last one for a block that needs it again. */
        final ExtentReader reader = new ExtentReader();

        WorkerState(List<Qcow2Image> images) {
            this.images = images;
        }

        private static ByteBuffer takeBlock() {
            ByteBuffer b = IDLE_BLOCKS.poll();
            return b != null ? b.clear() : Target.alignedBuffer(BLOCK);
        }

        /** Called once every worker has stopped, so the block can serve another run. */
        void close() {
            reader.close();
            if (IDLE_BLOCKS.size() < MAX_IDLE_BLOCKS) {
                IDLE_BLOCKS.offer(block);
            }
        }
    }
}
