package io.qcow2j.restore;

import io.qcow2j.restore.internal.FreeHeap;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.NativeLibraryUnavailableException;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.RefusedException;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.internal.pipeline.MemoryBudget;
import io.qcow2j.restore.internal.pipeline.Pipeline;
import io.qcow2j.restore.internal.pipeline.PipelineException;
import io.qcow2j.restore.internal.pipeline.PipelineResult;
import io.qcow2j.restore.internal.pipeline.PipelineSettings;
import io.qcow2j.restore.internal.pipeline.Uninterruptible;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.internal.target.StagedFile;
import io.qcow2j.restore.internal.target.TargetInspection;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.internal.target.TargetLock;
import io.qcow2j.restore.internal.target.TargetOptions;
import io.qcow2j.restore.internal.target.Targets;
import io.qcow2j.restore.internal.linux.Libc;
import io.qcow2j.restore.internal.linux.LoopDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One restore of a validated {@link Chain} into a target, and the handle to cancel it.
 *
 * <p>{@link #prepare()} decides everything that can be known before the first write — the target
 * can take the disk, the native libraries work, the memory fits — and {@link #run()} writes: the
 * chain is composed one window at a time and cut into blocks at fixed guest offsets; worker
 * threads assemble each block (positional reads of data, inflation of compressed clusters, zero
 * fill), hash it for the {@link io.qcow2j.restore.digest.DiskDigest} and write it with positional
 * writes, in any order. Memory is bounded whatever the disk size. Success is reported only after
 * the target was forced to stable storage.
 *
 * <p>A new file (and, with {@link RestoreOptions#replaceExistingFile()}, an existing one) is
 * restored into a staging file beside it ({@link StagedFile}, mode 0600) and renamed into place
 * only when complete: a failure or a cancel leaves the path as it was. A file target is locked
 * ({@link TargetLock}) from before its first change until after the rename; a block device is
 * claimed with {@code O_EXCL}.
 *
 * <p>Cancel with {@link #cancel()} from any thread, or by interrupting the thread running
 * {@link #run()}: the run then ends with a {@link RestoreCancelledException}. A cancel before
 * {@link #run()} leaves the target untouched.
 *
 * <p>Thread-safety: a restore runs once ({@link #run()} a second time throws
 * {@link IllegalStateException}); {@link #cancel()} and {@link #isCancelled()} may be called from
 * any thread at any time, {@link #prepare()} from any thread. The chain must stay open, and must
 * not be used by another restore, until {@link #run()} returns.
 */
public final class Restore {
    private final Chain chain;
    private final Path targetPath;
    private final Sink sink;
    private final RestoreOptions options;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** Set by the first {@link #run()}: a restore is single-use. */
    private final AtomicBoolean started = new AtomicBoolean();
    /**
     * What a failure leaves at the target once it may have changed (opened for writing, a staging
     * file made), or null before: an I/O error then is a refusal, after it an incomplete restore.
     */
    private volatile TargetState onFailure;
    /** The staging file being written, or null: a cancel discards it at once (see {@link #cancel()}). */
    private volatile StagedFile staging;
    private RestorePlan plan;
    private TargetInspection inspection;

    private Restore(Chain chain, Path targetPath, Sink sink, RestoreOptions options) {
        this.chain = chain;
        this.targetPath = targetPath;
        this.sink = sink;
        this.options = options;
    }

    /** A restore of {@code chain} into the file or block device at {@code target}. */
    public static Restore of(Chain chain, Path target, RestoreOptions options) {
        return new Restore(chain, target, null, options);
    }

    /**
     * A restore of {@code chain} into a sink the caller opened for the chain's virtual size and
     * keeps ownership of ({@link #run()} does not close it).
     */
    public static Restore of(Chain chain, Sink sink, RestoreOptions options) {
        return new Restore(chain, null, sink, options);
    }

    /**
     * Opens and validates {@code images} (oldest first) and restores them into {@code target}.
     *
     * @throws RefusedException            found before the first write (an image, the chain, the
     *                                     memory, a native library, the target): nothing was written
     * @throws RestoreIncompleteException  writing began and did not finish (see {@link #run()})
     * @throws java.io.InterruptedIOException the calling thread was interrupted while the chain was
     *                                     opened: nothing was written
     */
    public static RestoreResult run(List<Path> images, Path target, RestoreOptions options) throws IOException {
        try (Chain chain = Chain.open(images, options.chainOptions())) {
            return of(chain, target, options).run();
        }
    }

    /**
     * Asks a running restore to stop; it ends with {@link RestoreCancelledException}. A staging file
     * is unlinked at once, before the workers finish their blocks: it will never be renamed into
     * place, and a process that ends before they finish (a second signal, a kill) leaves nothing.
     */
    public void cancel() {
        cancelled.set(true);
        StagedFile s = staging;
        if (s != null) {
            synchronized (s) { // not while it is being renamed into place
                try {
                    s.close();
                } catch (IOException ignored) {
                    // the restore removes it again when it ends
                }
            }
        }
    }

    /**
     * True once {@link #cancel()} was called, directly or because the thread running the restore
     * was interrupted. A restore cancelled before its last block was handed out ends with
     * {@link RestoreCancelledException}; one cancelled later may still complete and report success.
     */
    public boolean isCancelled() {
        return cancelled.get();
    }

    /**
     * Checks everything that can be checked before the first write and says how the restore will
     * run; writes nothing. {@link #run()} calls it when the caller did not.
     *
     * @throws NativeLibraryUnavailableException an image's compression cannot be inflated here, or
     *                                    {@link RestoreOptions#requireNative()} and libc is missing
     * @throws InvalidTargetException     the target cannot take the disk
     * @throws InsufficientMemoryException not even one worker fits in the free memory, or the
     *                                    chain's metadata does not fit in the free heap
     * @throws RefusedException           every failure here is one: the target is untouched
     */
    public synchronized RestorePlan prepare() throws IOException {
        if (plan == null) {
            try {
                plan = decide();
            } catch (RefusedException e) {
                throw e;
            } catch (IOException e) { // a stat or a listing failed: still nothing was written
                throw unexpected(e);
            }
        }
        return plan;
    }

    /** What {@link #prepare()} decides; writes nothing. */
    private RestorePlan decide() throws IOException {
        chain.requireDecompressors();
        long size = chain.virtualSize();
        String name;
        TargetKind kind;
        boolean needsZeroing;
        if (sink != null) {
            name = sink.name();
            kind = sink.kind();
            needsZeroing = false; // the sink's own business
        } else {
            name = targetPath.toString();
            inspection = Targets.inspect(targetPath, size);
            kind = inspection.kind();
            if (kind != TargetKind.NEW_FILE) {
                LoopDevice.Backing loop = kind == TargetKind.BLOCK_DEVICE ? LoopDevice.backing(targetPath) : null;
                for (Qcow2Image img : chain.images()) {
                    if (img.source() instanceof FileByteSource f && Files.isSameFile(f.path(), targetPath)) {
                        throw new InvalidTargetException(name,
                                "the target is one of the chain's images (" + img.name() + "); refusing to overwrite it");
                    }
                    if (loop != null && img.source() instanceof FileByteSource f && loop.is(f.path())) {
                        throw new InvalidTargetException(name, "the target is a loop device backed by one of the"
                                + " chain's images (" + img.name() + "); refusing to overwrite it");
                    }
                }
            }
            if (kind != TargetKind.BLOCK_DEVICE) {
                if (kind == TargetKind.EXISTING_FILE && TargetLock.heldByOther(targetPath)) {
                    throw TargetLock.held(name);
                }
                StagedFile.leftovers(targetPath); // refuses when a restore to the same path is running
            }
            needsZeroing = kind != TargetKind.NEW_FILE && !options.targetIsZero() && !staged(kind);
        }
        List<String> warnings = new ArrayList<>();
        boolean zeroOffload = true;
        boolean pageCacheRelease = sink == null && options.releasePageCache();
        String libcError = sink == null ? Libc.loadError() : null;
        boolean device = kind == TargetKind.BLOCK_DEVICE && sink == null;
        if (libcError != null && (needsZeroing || pageCacheRelease || device)) {
            List<String> costs = new ArrayList<>();
            if (device) {
                costs.add("the block device cannot be checked for being mounted or in use");
            }
            if (needsZeroing) {
                zeroOffload = false;
                costs.add("zero ranges are written as zeros instead of punched or unmapped (slower; a thin "
                        + "volume gets fully allocated)");
            }
            if (pageCacheRelease) {
                pageCacheRelease = false;
                costs.add("written pages stay in the page cache (charged to the process's memory cgroup)");
            }
            String warning = "libc is not reachable through JNA (" + libcError + "): " + String.join("; ", costs);
            if (options.requireNative()) {
                throw new NativeLibraryUnavailableException(name, null, -1, warning
                        + "; refused because native access is required (--require-native)");
            }
            warnings.add(warning);
        }
        long maxCluster = 0;
        List<String> images = new ArrayList<>();
        for (Qcow2Image img : chain.images()) {
            maxCluster = Math.max(maxCluster, img.clusterSize());
            images.add(img.name());
        }
        MemoryBudget budget = MemoryBudget.compute(options.workers(), maxCluster, chain.preferredConcurrency());
        if (!budget.fits()) {
            throw new InsufficientMemoryException(name, "not enough memory for the restore: " + budget.describe()
                    + "; raise the memory limit (container, or the JVM's -XX:MaxDirectMemorySize / -Xmx)");
        }
        requireHeap(name, chain);
        return new RestorePlan(name, kind, size, images, budget.workers(), budget.perWorker(), zeroOffload,
                pageCacheRelease, warnings);
    }

    /**
     * Refuses a chain whose metadata (L1 tables, refcount blocks, L2 caches when full) cannot fit in
     * the heap that is free, with {@link FreeHeap#RESERVE} for the run's own objects, before the first
     * write rather than as an OutOfMemoryError halfway. What the chain already holds is counted
     * twice, a margin too. Garbage is collected before refusing.
     */
    private static void requireHeap(String name, Chain chain) throws InsufficientMemoryException {
        long need = chain.metadataBytes() + FreeHeap.RESERVE;
        long free = FreeHeap.free(need);
        if (need > free) {
            throw new InsufficientMemoryException(name, "not enough heap for the chain's metadata: its "
                    + chain.images().size() + " images need up to " + FreeHeap.mib(need) + " (L1 tables, refcount"
                    + " blocks, L2 caches, and the run's own objects), " + FreeHeap.mib(free) + " of the heap is"
                    + " free (maximum " + FreeHeap.mib(FreeHeap.max()) + "); raise -Xmx or the container's memory"
                    + " limit");
        }
    }

    /**
     * Prepares (see {@link #prepare()}), then writes the disk and forces it to stable storage. Runs
     * once per restore.
     *
     * @throws RefusedException           a problem found before the first write ({@link #prepare()},
     *                                    the target's lock); nothing was written, the target is
     *                                    untouched
     * @throws RestoreCancelledException  cancelled: before this call or before writing began, the
     *                                    target is untouched ({@link TargetState#UNCHANGED} or
     *                                    {@link TargetState#NOT_CREATED})
     * @throws RestoreIncompleteException writing started and did not finish; {@link
     *                                    RestoreIncompleteException#targetState()} says what the target
     *                                    holds, the cause whether a source (a {@link
     *                                    io.qcow2j.core.SourceAccessException} naming the image and
     *                                    offset) or the target ({@link
     *                                    io.qcow2j.restore.target.WriteFailedException}) failed
     * @throws IllegalStateException      this restore ran before
     */
    public RestoreResult run() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("this restore ran before; a Restore runs once (make another with"
                    + " Restore.of)");
        }
        try {
            return Uninterruptible.call(this::prepareAndRun, this::cancel, options.threadFactory());
        } catch (RefusedException | RestoreIncompleteException e) {
            throw e;
        } catch (IOException e) {
            throw unexpected(e);
        }
    }

    /**
     * An I/O error of no qcow2j type (the file system failing a lock, a listing, a rename) as one of
     * the two outcomes a caller handles: refused while the target was as it was, incomplete after.
     */
    private Qcow2Exception unexpected(IOException e) {
        String name = sink != null ? sink.name() : targetPath.toString();
        String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        TargetState state = onFailure;
        if (state == null) {
            return new InvalidTargetException(name, "cannot prepare the target: " + why, e);
        }
        return new RestoreIncompleteException(name, -1, "I/O error: " + why, e, state);
    }

    /**
     * Ends a restore cancelled before its first write, leaving the target as it was: checked before
     * the target is opened, since opening an existing one may resize it.
     */
    private void requireNotCancelled() throws RestoreCancelledException {
        if (cancelled.get()) {
            String name = sink != null ? sink.name() : targetPath.toString();
            TargetState state = sink != null || Files.exists(targetPath) ? TargetState.UNCHANGED
                    : TargetState.NOT_CREATED;
            // stopped before guest offset 0: nothing of the disk was written
            throw new RestoreCancelledException(name, 0, "restore cancelled before writing began", null, state);
        }
    }

    /** A regular file restored beside its path and renamed into place: a new file, or one replaced whole. */
    private boolean staged(TargetKind kind) {
        return kind == TargetKind.NEW_FILE || kind == TargetKind.EXISTING_FILE && options.replaceExistingFile();
    }

    private RestoreResult prepareAndRun() throws IOException {
        requireNotCancelled();
        RestorePlan p = prepare();
        requireNotCancelled();
        if (sink != null) {
            onFailure = TargetState.PARTIALLY_WRITTEN;
            return execute(sink, p, TargetState.PARTIALLY_WRITTEN, List.of());
        }
        TargetOptions targetOptions = new TargetOptions(options.targetIsZero(), options.directIo(),
                p.pageCacheRelease());
        TargetKind kind = inspection.kind();
        if (kind == TargetKind.BLOCK_DEVICE) { // claimed exclusively (O_EXCL) by the sink
            onFailure = TargetState.PARTIALLY_WRITTEN;
            try (Sink opened = Targets.open(inspection, p.virtualSize(), targetOptions)) {
                return execute(opened, p, TargetState.PARTIALLY_WRITTEN, List.of());
            }
        }
        // an existing file stays locked until it was replaced or completely written
        try (TargetLock lock = kind == TargetKind.EXISTING_FILE ? TargetLock.acquire(targetPath, p.target()) : null) {
            if (staged(kind)) {
                return stageAndPublish(p, targetOptions);
            }
            onFailure = TargetState.PARTIALLY_WRITTEN; // opening resizes it
            try (Sink opened = Targets.open(inspection, p.virtualSize(), targetOptions)) {
                return execute(opened, p, TargetState.PARTIALLY_WRITTEN, List.of());
            }
        }
    }

    /**
     * Restores into a new file beside the target, locked from its creation, then renames it over the
     * target once forced, unless cancelled meanwhile; any failure removes it, leaving the target
     * path as it was. Leftovers of killed restores to the same path are removed first.
     */
    private RestoreResult stageAndPublish(RestorePlan p, TargetOptions targetOptions) throws IOException {
        String name = p.target();
        TargetState failed = inspection.kind() == TargetKind.NEW_FILE ? TargetState.NOT_CREATED : TargetState.UNCHANGED;
        List<String> removed = StagedFile.removeLeftovers(targetPath);
        onFailure = failed;
        try (StagedFile staged = StagedFile.beside(targetPath)) {
            TargetInspection at = new TargetInspection(staged.staging(), TargetKind.NEW_FILE, 0);
            try (Sink opened = Targets.open(at, p.virtualSize(), targetOptions, name);
                 TargetLock lock = TargetLock.acquire(staged.staging(), name)) {
                staging = staged;
                RestoreResult r = execute(opened, p, failed, removed);
                synchronized (staged) {
                    if (cancelled.get()) { // a late cancel still wins over publishing: the caller was told to stop
                        throw new RestoreCancelledException(name, -1, "restore cancelled before the restored disk was"
                                + " renamed into place", null, failed);
                    }
                    staged.publish();
                }
                return r;
            }
        } finally {
            staging = null;
        }
    }

    private RestoreResult execute(Sink target, RestorePlan p, TargetState failed, List<String> notes)
            throws IOException {
        long size = p.virtualSize();
        ProgressListener listener = options.progress();
        PipelineSettings settings = new PipelineSettings(p.workers(), options.flushEveryBytes(),
                listener == ProgressListener.NONE ? null : done -> listener.progress(done, size),
                options.threadFactory());
        PipelineResult r;
        try {
            r = new Pipeline(chain.images(), target, settings, cancelled).run();
        } catch (PipelineException e) {
            if (e.cancelled()) {
                throw new RestoreCancelledException(target.name(), e.guestOffset(), e.getMessage(), e.getCause(),
                        failed);
            }
            throw new RestoreIncompleteException(target.name(), e.guestOffset(), e.getMessage(), e.getCause(), failed);
        }
        String expected = options.expectedDigest();
        if (expected != null && !expected.equals(r.digest())) { // before a staged file is published
            throw new RestoreIncompleteException(target.name(), -1, "digest mismatch: the restored disk is "
                    + DiskDigest.NAME + ":" + r.digest() + ", expected " + DiskDigest.NAME + ":" + expected
                    + "; the restore is not a success, do not use the target", null, failed);
        }
        List<String> allNotes = new ArrayList<>(chain.notes());
        allNotes.addAll(notes);
        return new RestoreResult(target.name(), p.targetKind(), target.direct(), size, r.bytesWritten(),
                r.zeroBytesSkipped(), r.dataBytes(), r.nanos(), r.digest(), allNotes, p.workers(),
                p.zeroOffload(), p.pageCacheRelease(), target.zeroBytesWritten(),
                p.warnings());
    }
}
