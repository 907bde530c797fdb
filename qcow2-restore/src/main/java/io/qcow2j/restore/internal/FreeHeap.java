package io.qcow2j.restore.internal;

import io.qcow2j.restore.InsufficientMemoryException;
import java.util.Locale;

/**
 * The heap this JVM has free for what is about to be allocated, measured before allocating it:
 * what cannot fit is refused with the numbers ({@link InsufficientMemoryException}) instead of
 * ending in an OutOfMemoryError halfway.
 */
public final class FreeHeap {
    /** Heap kept for a run's own objects beyond what is checked: composed windows, blocks in flight. */
    public static final long RESERVE = 4L << 20;

    private FreeHeap() {
    }

    /**
     * The heap that can still be allocated: the maximum minus what is in use. When that is less
     * than {@code need}, garbage is collected first (it counts as in use until then).
     */
    public static long free(long need) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > free) {
            System.gc();
            free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        return free;
    }

    /** The heap's maximum ({@code -Xmx}, or what the JVM chose). */
    public static long max() {
        return Runtime.getRuntime().maxMemory();
    }

    /** {@code bytes} in MiB with one decimal, as every refusal prints them. */
    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
