package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.internal.target.Buffers;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Semaphore;

/**
 * The block buffers of one run: direct, aligned for {@code O_DIRECT}, at most {@code max} of them
 * out at once, so the memory a run holds is {@code max * size} whatever the disk size. A buffer
 * given back is handed out again rather than allocated anew: first-touching fresh native memory
 * costs page faults.
 */
final class BufferPool {
    private final int size;
    private final int max;
    private final Semaphore out;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();

    /**
     * @param size bytes per buffer
     * @param max  buffers out at once at most
     */
    BufferPool(int size, int max) {
        this.size = size;
        this.max = max;
        this.out = new Semaphore(max);
    }

    /** Buffers out at once at most. */
    int max() {
        return max;
    }

    /** A buffer, waiting for one to be given back when {@code max} are out. */
    ByteBuffer take() throws InterruptedException {
        out.acquire();
        return next();
    }

    private synchronized ByteBuffer next() {
        ByteBuffer b = idle.poll();
        return b != null ? b.clear() : Buffers.aligned(size);
    }

    void give(ByteBuffer b) {
        synchronized (this) {
            idle.push(b);
        }
        out.release();
    }
}
