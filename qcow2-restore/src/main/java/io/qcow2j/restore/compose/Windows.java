package io.qcow2j.restore.compose;

import java.io.IOException;

/**
 * The guest address space in windows of {@link #SIZE} bytes: metadata for one window at a time
 * keeps memory flat whatever the disk size. The one window loop of qcow2j.
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

    private Windows() {
    }

    /**
     * Visits the windows of a disk of {@code virtualSize} bytes in guest order.
     *
     * @return true when every window was visited, false when the visitor stopped
     */
    public static boolean forEach(long virtualSize, Visitor visitor) throws IOException {
        for (long w = 0; w < virtualSize; w += SIZE) {
            if (!visitor.visit(w, Math.min(virtualSize, w + SIZE))) {
                return false;
            }
        }
        return true;
    }
}
