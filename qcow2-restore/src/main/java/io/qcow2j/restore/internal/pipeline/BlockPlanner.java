package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.Extent;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts the composed disk into work, in guest order, on one thread: {@link Block}s of at most
 * {@link #BLOCK} bytes at fixed guest offsets for whatever holds data, and zero spans for whole
 * blocks that read as zeros. On a sink that already reads as zeros the spans are only counted;
 * otherwise neighbouring spans are merged into runs of up to {@link #MAX_ZERO_RUN} bytes, each
 * handed out as one kernel call.
 */
final class BlockPlanner {
    /** Guest bytes one worker assembles and writes at once; a multiple of the digest's chunk. */
    static final int BLOCK = 4 << 20;
    /** Longest zero run handed out at once, so progress and cancellation stay responsive. */
    static final long MAX_ZERO_RUN = 1L << 30;

    /** Where the planned work goes. */
    interface Scheduler {
        /** True once the run should stop (cancelled or interrupted): planning ends at the next window. */
        boolean stopRequested();

        /** True once a piece of work failed: planning ends at once. */
        boolean failed();

        void block(Block b) throws InterruptedException;

        /** [{@code start}, {@code end}) must be zeroed on the sink. */
        void zeroRun(long start, long end) throws InterruptedException;

        /** [{@code start}, {@code end}) reads as zeros on the sink already. */
        void zerosSkipped(long start, long end);

        /** The window's blocks are all handed out: the next window's composition may take a while. */
        void windowDone() throws InterruptedException;
    }

    private final Composition composition;
    private final boolean sinkReadsAsZeros;
    private final Scheduler scheduler;
    /** The first guest byte of the window being planned. */
    private volatile long position;
    /** The pending zero run; the planning thread's alone. */
    private long zeroStart = -1;
    private long zeroEnd = -1;

    BlockPlanner(Composition composition, boolean sinkReadsAsZeros, Scheduler scheduler) {
        this.composition = composition;
        this.sinkReadsAsZeros = sinkReadsAsZeros;
        this.scheduler = scheduler;
    }

    /**
     * The guest offset being planned: a failure while composing happened in the window starting
     * here (composition reads the window's metadata before it hands out any of its work).
     */
    long position() {
        return position;
    }

    /**
     * Plans the whole disk.
     *
     * @return -1 when every byte was handed out, else the guest offset where planning stopped
     *         because a stop was requested
     */
    long plan() throws IOException, InterruptedException {
        long[] stoppedAt = {-1};
        composition.forEachWindow((w, wEnd, window) -> {
            position = w;
            if (scheduler.failed()) {
                return false;
            }
            if (scheduler.stopRequested()) {
                stoppedAt[0] = w;
                return false;
            }
            try {
                planWindow(w, wEnd, window);
                scheduler.windowDone();
            } catch (InterruptedException e) {
                throw new InterruptedWhilePlanning(e);
            }
            position = wEnd; // the next window is composed before the visitor sees it
            return true;
        });
        if (stoppedAt[0] < 0 && !scheduler.failed()) {
            submitZeroRun();
        }
        return stoppedAt[0];
    }

    private void planWindow(long w, long wEnd, List<ComposedExtent> window) throws InterruptedException {
        int k = 0;
        long b = w;
        while (b < wEnd && !scheduler.failed()) {
            while (k < window.size() && window.get(k).end() <= b) {
                k++;
            }
            ComposedExtent first = window.get(k);
            if (first.kind() == Extent.Kind.ZERO && first.end() >= Math.min(wEnd, b + BLOCK)) {
                // whole blocks inside one zero extent go together: most of a sparse disk
                long to = first.end() >= wEnd ? wEnd : b + (first.end() - b) / BLOCK * BLOCK;
                zeroSpan(b, to);
                b = to;
                continue;
            }
            long bEnd = Math.min(wEnd, b + BLOCK);
            List<ComposedExtent> segs = new ArrayList<>();
            boolean allZero = true;
            for (int j = k; j < window.size() && window.get(j).start() < bEnd; j++) {
                ComposedExtent c = window.get(j).slice(b, bEnd);
                allZero &= c.kind() == Extent.Kind.ZERO;
                segs.add(c);
            }
            if (allZero) {
                zeroSpan(b, bEnd); // zeros of several images
            } else {
                submitZeroRun();
                scheduler.block(new Block(b, (int) (bEnd - b), segs));
            }
            b = bEnd;
        }
    }

    /** A zero span of whole blocks: skipped, or added to the pending zero run. */
    private void zeroSpan(long from, long to) throws InterruptedException {
        if (sinkReadsAsZeros) {
            scheduler.zerosSkipped(from, to);
            return;
        }
        if (zeroEnd != from || zeroEnd - zeroStart + (to - from) > MAX_ZERO_RUN) {
            submitZeroRun();
            zeroStart = from;
        }
        // a span of a window without tables may be far longer than a run (a nearly empty 1 PiB disk)
        while (to - zeroStart > MAX_ZERO_RUN) {
            long cut = zeroStart + MAX_ZERO_RUN;
            zeroEnd = cut;
            submitZeroRun();
            zeroStart = cut;
        }
        zeroEnd = to;
    }

    private void submitZeroRun() throws InterruptedException {
        if (zeroStart >= 0 && zeroEnd > zeroStart) {
            scheduler.zeroRun(zeroStart, zeroEnd);
        }
        zeroStart = zeroEnd = -1;
    }

    /** Carries an interrupt out of the window visitor, which may only throw I/O errors. */
    static final class InterruptedWhilePlanning extends IOException {
        private static final long serialVersionUID = 1L;

        InterruptedWhilePlanning(InterruptedException cause) {
            super(cause);
        }
    }
}
