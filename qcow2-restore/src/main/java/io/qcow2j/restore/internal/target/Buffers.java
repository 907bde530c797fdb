package io.qcow2j.restore.internal.target;

import java.nio.ByteBuffer;

/**
 * Direct buffers aligned for {@code O_DIRECT}, and a shared block of read-only zeros. Internal to
 * qcow2j's restore (the pipeline assembles blocks in these buffers), public only across its
 * packages.
 */
public final class Buffers {
    /**
     * Alignment of {@link #aligned} buffers: a multiple of every logical block size
     * {@code O_DIRECT} asks for (512 bytes to 4 KiB on devices, the file system block on files).
     */
    public static final int ALIGN = 64 << 10;
    /** The most zeros {@link #zeros(int)} gives at once: 4 MiB. */
    public static final int ZEROS_SIZE = 4 << 20;
    /**
     * Read-only zeros, shared; private because a buffer's position and limit are mutable state: a
     * public one changed anywhere in the JVM would break every later restore.
     */
    private static final ByteBuffer ZEROS = aligned(ZEROS_SIZE).asReadOnlyBuffer();

    private Buffers() {
    }

    /**
     * {@code n} read-only zeros (at most {@link #ZEROS_SIZE}), aligned: a view of its own, position
     * 0 and limit {@code n}, which the caller may move freely.
     */
    public static ByteBuffer zeros(int n) {
        return ZEROS.duplicate().limit(n);
    }

    /** A direct buffer of {@code size} bytes whose address is a multiple of {@link #ALIGN}. */
    public static ByteBuffer aligned(int size) {
        return ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN).limit(size).slice();
    }

    /** Sets {@code n} bytes of {@code buf} from {@code at} to zero (position and limit untouched). */
    public static void fillZeros(ByteBuffer buf, int at, int n) {
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, ZEROS_SIZE);
            buf.put(at + done, ZEROS, 0, k);
            done += k;
        }
    }
}
