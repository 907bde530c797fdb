package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.internal.target.Buffers;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The block buffers of one run: direct, aligned for {@code O_DIRECT}, at most one per worker, so
 * the memory a run holds is {@code workers * BLOCK} whatever the disk size. A buffer given back is
 * handed out again rather than allocated anew: first-touching fresh native memory costs page faults.
 */
final class BufferPool {
    private final int size;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();

    /** @param size bytes per buffer */
    BufferPool(int size) {
        this.size = size;
    }

    synchronized ByteBuffer take() {
        ByteBuffer b = idle.poll();
        return b != null ? b.clear() : Buffers.aligned(size);
    }

    synchronized void give(ByteBuffer b) {
        idle.push(b);
    }
}
