package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.compose.ComposedExtent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * The planning thread's side of the blocks: each block gets its buffer as it is planned, and the
 * data reads of remote images of up to {@link #BATCH} consecutive blocks go out at once, before a
 * worker takes any of them. Reads are in flight while every worker hashes and writes (a worker
 * that sent its own block's reads waited a round trip for them, its buffer idle), and one image's
 * extents in neighbouring blocks become one request. The buffers bound the blocks between
 * planned and written, so memory stays {@code buffers * BLOCK}. Not thread-safe: the planning
 * thread's alone.
 */
final class FetchAhead {
    /** Consecutive blocks whose reads go out together (measured: docs/decisions.md). */
    static final int BATCH = 4;

    /** Where a block goes once its reads are started. */
    @FunctionalInterface
    interface Writes {
        void submit(Block block, ByteBuffer buf, BlockReads.Fetch fetch) throws InterruptedException;
    }

    private record Planned(Block block, ByteBuffer buf) {
    }

    private final List<Qcow2Image> images;
    private final BufferPool buffers;
    /** Null when every image is local: workers read everything themselves. */
    private final BlockReads reads;
    private final Writes writes;
    private final List<Planned> batch = new ArrayList<>();

    /**
     * @param remoteReads where the data reads of remote images run (its thread count is the
     *                    ceiling on reads in flight), or null to leave all reads to the workers
     */
    FetchAhead(List<Qcow2Image> images, BufferPool buffers, ExecutorService remoteReads, Writes writes) {
        this.images = images;
        this.buffers = buffers;
        this.reads = remoteReads == null ? null : new BlockReads(remoteReads);
        this.writes = writes;
    }

    /** Whether {@code s} is data of a remote image, fetched here rather than read by the worker. */
    static boolean fetched(List<Qcow2Image> images, ComposedExtent s, boolean remoteReads) {
        return remoteReads && s.kind() == Extent.Kind.DATA && images.get(s.image()).source().preferredConcurrency() > 0;
    }

    /** Takes {@code b}'s buffer (waiting for one) and adds its remote reads to the batch. */
    void add(Block b) throws InterruptedException {
        if (!batch.isEmpty()) {
            Block last = batch.get(batch.size() - 1).block();
            if (batch.size() >= BATCH || last.start() + last.length() != b.start()) {
                flush();
            }
        }
        if (batch.size() >= buffers.max()) {
            flush(); // the batch's buffers come back only once its blocks are written
        }
        // waiting for a buffer while holding a batch: the buffers not in it come back
        ByteBuffer buf = buffers.take();
        buf.clear().limit(b.length());
        if (reads != null) {
            for (ComposedExtent s : b.segments()) {
                if (fetched(images, s, true)) {
                    // its own view of the buffer: the read runs on another thread
                    int at = (int) (s.start() - b.start());
                    reads.add(s.image(), images.get(s.image()), s.extent().hostOffset(),
                            buf.slice(at, (int) s.length()), s.start());
                }
            }
        }
        batch.add(new Planned(b, buf));
        if (reads == null) {
            flush(); // nothing to merge: the worker may start at once
        }
    }

    /** Drops the batch, whose reads were not started: the run is stopping. */
    void discard() {
        batch.forEach(p -> buffers.give(p.buf()));
        batch.clear();
    }

    /** Starts the batch's reads and hands its blocks to the workers. */
    void flush() throws InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        BlockReads.Fetch fetch = reads == null ? BlockReads.Fetch.NONE : reads.start();
        try {
            for (Planned p : batch) {
                writes.submit(p.block(), p.buf(), fetch);
            }
        } catch (InterruptedException e) {
            fetch.awaitQuietly(); // the run ends: no read may still be filling a buffer by then
            throw e;
        } finally {
            batch.clear();
        }
    }
}
