package io.qcow2j.restore;

import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.pipeline.Pipeline;
import io.qcow2j.restore.pipeline.PipelineException;
import io.qcow2j.restore.pipeline.PipelineResult;
import io.qcow2j.restore.pipeline.PipelineSettings;
import io.qcow2j.restore.pipeline.Uninterruptible;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.TargetInspection;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.target.TargetOptions;
import io.qcow2j.restore.target.Targets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One restore of a validated {@link Chain} into a target, and the handle to cancel it.
 *
 * <p>The chain is composed one window at a time and cut into blocks at fixed guest offsets; worker
 * threads assemble each block (positional reads of data, inflation of compressed clusters, zero
 * fill), hash it for the {@link io.qcow2j.restore.digest.DiskDigest} and write it with positional
 * writes, in any order. Memory is bounded whatever the disk size. Success is reported only after
 * the target was forced to stable storage.
 *
 * <p>Cancel with {@link #cancel()} from any thread, or by interrupting the thread running
 * {@link #run()}: the run then ends with a {@link RestoreCancelledException}.
 */
public final class Restore {
    private final Chain chain;
    private final Path targetPath;
    private final Sink sink;
    private final RestoreOptions options;
    private final AtomicBoolean cancelled = new AtomicBoolean();

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

    /** Opens and validates {@code images} (oldest first) and restores them into {@code target}. */
    public static RestoreResult run(List<Path> images, Path target, RestoreOptions options) throws IOException {
        try (Chain chain = Chain.open(images, options.open())) {
            return of(chain, target, options).run();
        }
    }

    /** Asks a running restore to stop; it ends with {@link RestoreCancelledException}. */
    public void cancel() {
        cancelled.set(true);
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
     * Checks the target, then writes the disk and forces it to stable storage.
     *
     * @throws io.qcow2j.core.Qcow2Exception an image's compression type cannot be decompressed in
     *                                    this JVM ({@link Chain#requireDecompressors()}); nothing
     *                                    was written
     * @throws InvalidTargetException     the target cannot take the disk; nothing was written
     * @throws RestoreIncompleteException writing started and did not finish
     */
    public RestoreResult run() throws IOException {
        return Uninterruptible.call(this::openAndRun, this::cancel, options.threadFactory());
    }

    private RestoreResult openAndRun() throws IOException {
        chain.requireDecompressors();
        if (sink != null) {
            return execute(sink);
        }
        long size = chain.virtualSize();
        TargetInspection inspection = Targets.inspect(targetPath, size);
        if (inspection.kind() != TargetKind.NEW_FILE) {
            for (Qcow2Image img : chain.images()) {
                if (img.source() instanceof FileByteSource f && Files.isSameFile(f.path(), targetPath)) {
                    throw new InvalidTargetException(targetPath.toString(),
                            "the target is one of the chain's images (" + img.name() + "); refusing to overwrite it");
                }
            }
        }
        TargetOptions targetOptions = new TargetOptions(options.targetIsZero(), options.directIo(),
                options.releasePageCache());
        try (Sink opened = Targets.open(inspection, size, targetOptions)) {
            return execute(opened);
        }
    }

    private RestoreResult execute(Sink target) throws IOException {
        long size = chain.virtualSize();
        ProgressListener listener = options.progress();
        PipelineSettings settings = new PipelineSettings(options.effectiveWorkers(), options.flushEveryBytes(),
                listener == ProgressListener.NONE ? null : done -> listener.progress(done, size),
                options.threadFactory());
        PipelineResult r;
        try {
            r = new Pipeline(chain.images(), target, settings, cancelled).run();
        } catch (PipelineException e) {
            if (e.cancelled()) {
                throw new RestoreCancelledException(target.name(), e.guestOffset(), e.getMessage(), e.getCause());
            }
            throw new RestoreIncompleteException(target.name(), e.guestOffset(), e.getMessage(), e.getCause());
        }
        return new RestoreResult(target.name(), target.kind(), target.direct(), size, r.bytesWritten(),
                r.zeroBytesSkipped(), r.dataBytes(), r.nanos(), r.digest(), chain.notes());
    }
}
