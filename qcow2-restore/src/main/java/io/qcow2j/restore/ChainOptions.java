package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.internal.ParallelIo;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * How {@link Chain#open} opens and checks a chain. Immutable: start from {@link #defaults()} and
 * change what differs with the {@code with...} methods (a final class rather than a record, so that
 * options can be added without breaking callers).
 */
public final class ChainOptions {
    private final OpenOptions open;
    private final boolean allowBackingBase;
    private final ThreadFactory threadFactory;

    ChainOptions(OpenOptions open, boolean allowBackingBase, ThreadFactory threadFactory) {
        this.open = Objects.requireNonNull(open, "open");
        this.allowBackingBase = allowBackingBase;
        this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
    }

    /** Default image options; the chain's order is checked strictly; daemon threads {@code qcow2j-open-N}. */
    public static ChainOptions defaults() {
        return new ChainOptions(OpenOptions.defaults(), false, ParallelIo.daemonThreads("qcow2j-open"));
    }

    /** How each image is opened. */
    public OpenOptions open() {
        return open;
    }

    /**
     * Whether a first image that stores a backing file name is accepted (a deliberate partial chain,
     * starting at an incremental); by default such a chain is refused, since a full backup stores none.
     */
    public boolean allowBackingBase() {
        return allowBackingBase;
    }

    /** Makes the threads that open the images (and compose the chain for {@link Chain#ofComposed}). */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /** These options, with each image opened by {@code options}. */
    public ChainOptions withOpen(OpenOptions options) {
        return new ChainOptions(options, allowBackingBase, threadFactory);
    }

    /** These options, accepting (or not) a first image that stores a backing file name. */
    public ChainOptions withAllowBackingBase(boolean allow) {
        return new ChainOptions(open, allow, threadFactory);
    }

    /** These options, with the opening threads made by {@code factory}. */
    public ChainOptions withThreadFactory(ThreadFactory factory) {
        return new ChainOptions(open, allowBackingBase, factory);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChainOptions c && open.equals(c.open) && allowBackingBase == c.allowBackingBase
                && threadFactory.equals(c.threadFactory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(open, allowBackingBase, threadFactory);
    }

    @Override
    public String toString() {
        return "ChainOptions[open=" + open + ", allowBackingBase=" + allowBackingBase + "]";
    }
}
