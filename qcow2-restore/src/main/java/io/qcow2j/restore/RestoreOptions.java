package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.internal.ParallelIo;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * Tuning and promises for a restore; immutable. Build one with {@link #builder()} (or change one
 * with {@link #toBuilder()}): new options only ever add builder methods.
 */
public final class RestoreOptions {
    /**
     * Default background flush interval: start writeback of every 32 MiB written, so the device
     * works while the restore produces and the page cache never holds a large dirty backlog.
     */
    public static final long DEFAULT_FLUSH_EVERY = 32L << 20;

    private final boolean targetIsZero;
    private final int workers;
    private final ProgressListener progress;
    private final OpenOptions open;
    private final long flushEveryBytes;
    private final boolean directIo;
    private final boolean releasePageCache;
    private final ThreadFactory threadFactory;
    private final boolean requireNative;
    private final boolean allowBackingBase;
    private final boolean replaceExistingFile;
    private final String expectedDigest;

    private RestoreOptions(Builder b) {
        this.targetIsZero = b.targetIsZero;
        this.workers = b.workers;
        this.progress = b.progress;
        this.open = b.open;
        this.flushEveryBytes = b.flushEveryBytes;
        this.directIo = b.directIo;
        this.releasePageCache = b.releasePageCache;
        this.threadFactory = b.threadFactory;
        this.requireNative = b.requireNative;
        this.allowBackingBase = b.allowBackingBase;
        this.replaceExistingFile = b.replaceExistingFile;
        this.expectedDigest = b.expectedDigest;
    }

    /** The defaults: a worker per core (within the memory), no progress, background flushes, page cache released. */
    public static RestoreOptions defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.targetIsZero = targetIsZero;
        b.workers = workers;
        b.progress = progress;
        b.open = open;
        b.flushEveryBytes = flushEveryBytes;
        b.directIo = directIo;
        b.releasePageCache = releasePageCache;
        b.threadFactory = threadFactory;
        b.requireNative = requireNative;
        b.allowBackingBase = allowBackingBase;
        b.replaceExistingFile = replaceExistingFile;
        b.expectedDigest = expectedDigest;
        return b;
    }

    /** The caller promises an existing target reads as zeros, so zero ranges are skipped. */
    public boolean targetIsZero() {
        return targetIsZero;
    }

    /**
     * Threads reading, inflating and writing; 0 (the default) means one per core, at most 16. Either
     * way a restore runs fewer when their buffers would not fit in the free memory
     * ({@link RestorePlan#workers()}).
     */
    public int workers() {
        return workers;
    }

    /** Receives progress, off the worker threads. */
    public ProgressListener progress() {
        return progress;
    }

    /** How images are opened. */
    public OpenOptions open() {
        return open;
    }

    /** A background flush starts after this many bytes were written; 0 disables it. */
    public long flushEveryBytes() {
        return flushEveryBytes;
    }

    /** Write the target with {@code O_DIRECT}, past the page cache, wherever a write is aligned. */
    public boolean directIo() {
        return directIo;
    }

    /** Drop the target's clean page-cache pages after each flush. */
    public boolean releasePageCache() {
        return releasePageCache;
    }

    /** Makes the restore's threads (workers, flusher, progress, the planning thread). */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /**
     * Refuse (before writing) instead of warning when libc cannot be reached and the restore would
     * fall back to writing zeros or keeping written pages cached.
     */
    public boolean requireNative() {
        return requireNative;
    }

    /** See {@link ChainOptions#allowBackingBase()}. */
    public boolean allowBackingBase() {
        return allowBackingBase;
    }

    /**
     * An existing regular-file target is replaced whole, as a new file is made: restored beside it
     * and renamed over it once complete, so a failure leaves its old content. Off: it is written in
     * place (sparse where it already reads as zeros).
     */
    public boolean replaceExistingFile() {
        return replaceExistingFile;
    }

    /**
     * The digest ({@link io.qcow2j.restore.digest.DiskDigest}, 16 lower-case hex digits) the restored
     * disk must have, or null. A restore whose disk differs fails with
     * {@link RestoreIncompleteException} before a staged file is renamed into place.
     */
    public String expectedDigest() {
        return expectedDigest;
    }

    /**
     * How {@link Restore#run(java.util.List, java.nio.file.Path, RestoreOptions)} opens the chain:
     * on threads of {@link #threadFactory()} too.
     */
    public ChainOptions chainOptions() {
        return new ChainOptions(open, allowBackingBase, threadFactory);
    }

    /** Builds {@link RestoreOptions}. */
    public static final class Builder {
        private boolean targetIsZero;
        private int workers;
        private ProgressListener progress = ProgressListener.NONE;
        private OpenOptions open = OpenOptions.defaults();
        private long flushEveryBytes = DEFAULT_FLUSH_EVERY;
        private boolean directIo;
        private boolean releasePageCache = true;
        private ThreadFactory threadFactory = ParallelIo.daemonThreads("qcow2j-restore");
        private boolean requireNative;
        private boolean allowBackingBase;
        private boolean replaceExistingFile;
        private String expectedDigest;

        private Builder() {
        }

        /** See {@link RestoreOptions#targetIsZero()}; off by default. */
        public Builder targetIsZero(boolean v) {
            this.targetIsZero = v;
            return this;
        }

        /**
         * See {@link RestoreOptions#workers()}; 0 (the default) is one per core.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder workers(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("workers must not be negative, got " + n);
            }
            this.workers = n;
            return this;
        }

        /** See {@link RestoreOptions#progress()}. */
        public Builder progress(ProgressListener p) {
            this.progress = Objects.requireNonNull(p, "progress");
            return this;
        }

        /** See {@link RestoreOptions#open()}. */
        public Builder open(OpenOptions o) {
            this.open = Objects.requireNonNull(o, "open");
            return this;
        }

        /** See {@link RestoreOptions#flushEveryBytes()}; negative values mean 0. */
        public Builder flushEveryBytes(long bytes) {
            this.flushEveryBytes = Math.max(0, bytes);
            return this;
        }

        /** See {@link RestoreOptions#directIo()}; off by default. */
        public Builder directIo(boolean v) {
            this.directIo = v;
            return this;
        }

        /** See {@link RestoreOptions#releasePageCache()}; on by default. */
        public Builder releasePageCache(boolean v) {
            this.releasePageCache = v;
            return this;
        }

        /**
         * See {@link RestoreOptions#threadFactory()}; by default daemon threads named
         * {@code qcow2j-restore-N}. An embedder may name, group or account them.
         */
        public Builder threadFactory(ThreadFactory f) {
            this.threadFactory = Objects.requireNonNull(f, "threadFactory");
            return this;
        }

        /** See {@link RestoreOptions#requireNative()}; off by default. */
        public Builder requireNative(boolean v) {
            this.requireNative = v;
            return this;
        }

        /** See {@link ChainOptions#allowBackingBase()}; off by default. */
        public Builder allowBackingBase(boolean v) {
            this.allowBackingBase = v;
            return this;
        }

        /** See {@link RestoreOptions#replaceExistingFile()}; off by default. */
        /**
         * See {@link RestoreOptions#expectedDigest()}; null for none.
         *
         * @throws IllegalArgumentException unless 16 hex digits
         */
        public Builder expectedDigest(String hex) {
            if (hex != null && !hex.matches("[0-9a-f]{16}")) {
                throw new IllegalArgumentException("expected digest: 16 lower-case hex digits, not " + hex.length()
                        + " characters");
            }
            this.expectedDigest = hex;
            return this;
        }

        public Builder replaceExistingFile(boolean v) {
            this.replaceExistingFile = v;
            return this;
        }

        /** The options. */
        public RestoreOptions build() {
            return new RestoreOptions(this);
        }
    }
}
