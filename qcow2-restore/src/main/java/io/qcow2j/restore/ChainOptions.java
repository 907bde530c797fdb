package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.internal.ParallelIo;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * How {@link Chain#open} opens and checks a chain.
 *
 * @param open             how each image is opened
 * @param allowBackingBase accept a first image that stores a backing file name (a deliberate
 *                         partial chain, starting at an incremental); by default such a chain is
 *                         refused, since a full backup stores none
 * @param threadFactory    makes the threads that open the images (and compose the chain for
 *                         {@link Chain#ofComposed}); by default daemon threads named
 *                         {@code qcow2j-open-N}
 */
public record ChainOptions(OpenOptions open, boolean allowBackingBase, ThreadFactory threadFactory) {
    public ChainOptions {
        Objects.requireNonNull(open, "open");
        Objects.requireNonNull(threadFactory, "threadFactory");
    }

    /** As the canonical constructor, with the default threads. */
    public ChainOptions(OpenOptions open, boolean allowBackingBase) {
        this(open, allowBackingBase, ParallelIo.daemonThreads("qcow2j-open"));
    }

    /** Default image options; the chain's order is checked strictly. */
    public static ChainOptions defaults() {
        return new ChainOptions(OpenOptions.defaults(), false);
    }

    /** These options, with the opening threads made by {@code factory}. */
    public ChainOptions withThreadFactory(ThreadFactory factory) {
        return new ChainOptions(open, allowBackingBase, factory);
    }
}
