package io.qcow2j.restore.internal.compose;

import java.io.IOException;

/**
 * The guest address space in windows of {@link #SIZE} bytes: metadata for one window at a time
 * keeps memory flat whatever the disk size. A stretch that no L2 table maps, in any image, is one
 * window however long, so a huge, nearly empty disk costs its tables, not its size. The one window
 * loop of qcow2j.
 */
public final class Windows {
    /** Guest bytes per window. */
    public static final long SIZE = 64L << 20;

    /** Receives one window; returns false to stop. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * @param start first guest byte of the window
         * @param end   guest byte after the window (at most the virtual size)
         * @return whether to go on with the next window
         */
        boolean visit(long start, long end) throws IOException;
    }

    /** Where the images may next map anything. */
    @FunctionalInterface
    public interface Mapped {
        /**
         * The first guest offset at or after {@code offset} that an L2 table may map, or the virtual
         * size: nothing in between needs a lookup ({@link io.qcow2j.core.Qcow2Image#nextMapped}).
         */
        long next(long offset) throws IOException;
    }

    private Windows() {
    }

    /**
     * Visits the windows of a disk of {@code virtualSize} bytes in guest order: windows of
     * {@link #SIZE} bytes at multiples of it, except that the windows before the one holding
     * {@code mapped}'s next offset are visited as one.
     *
     * @return true when every window was visited, false when the visitor stopped
     */
    public static boolean forEach(long virtualSize, Mapped mapped, Visitor visitor) throws IOException {
        return forEach(0, virtualSize, mapped, visitor);
    }

    /**
     * As {@link #forEach(long, Mapped, Visitor)} for the guest range [{@code start}, {@code end}):
     * the first and last windows are cut to the range, the others lie at multiples of {@link #SIZE}.
     */
    public static boolean forEach(long start, long end, Mapped mapped, Visitor visitor) throws IOException {
        for (long w = start; w < end; ) {
            long e = end(w, end, mapped);
            if (!visitor.visit(w, e)) {
                return false;
            }
            w = e;
        }
        return true;
    }

    /**
     * The end of the window that starts at {@code w} (below {@code end}), as {@link #forEach} cuts
     * it: for a caller that works on a window ahead of the one it visits.
     */
    public static long end(long w, long end, Mapped mapped) throws IOException {
        long unmappedTo = mapped.next(w) / SIZE * SIZE; // the start of the window it lies in
        return Math.min(end, unmappedTo > w ? unmappedTo : (w / SIZE + 1) * SIZE);
    }
}
