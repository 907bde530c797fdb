package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.Extent;
import io.qcow2j.core.ExtentReader;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.internal.target.Buffers;
import io.qcow2j.restore.target.Sink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * One worker's assembly line: produces a {@link Block} in the worker's buffer (data read, compressed
 * clusters inflated, zeros filled where needed), adds its data chunks to the digest and writes it
 * with as few positional writes as possible. Not thread-safe: one per worker thread.
 */
final class BlockWriter implements AutoCloseable {
    /** Digest chunks per block: one bit each in a {@code long}. */
    private static final int CHUNKS_PER_BLOCK = BlockPlanner.BLOCK / DiskDigest.CHUNK;

    private final List<Qcow2Image> images;
    private final Sink sink;
    private final DiskDigest digest;
    private final Counters counters;
    private final ExtentReader reader = new ExtentReader();
    private final BufferPool pool;
    private final ByteBuffer buf;
    /** Data reads of remote images, all of a block's at once; null when every image is local. */
    private final BlockReads remoteReads;

    /**
     * @param remoteReads where the data reads of images with remote sources run, or null to read
     *                    everything on this worker's thread
     */
    BlockWriter(List<Qcow2Image> images, Sink sink, DiskDigest digest, Counters counters, BufferPool pool,
            ExecutorService remoteReads) {
        this.images = images;
        this.remoteReads = remoteReads == null ? null : new BlockReads(remoteReads);
        this.sink = sink;
        this.digest = digest;
        this.counters = counters;
        this.pool = pool;
        this.buf = pool.take();
    }

    /**
     * Assembles, hashes and writes one block. Only the 64 KiB chunks holding data are zero-filled
     * where needed and hashed (all-zero chunks add nothing to the digest); zero runs are skipped
     * on a sink that reads as zeros, handed to the kernel when long enough, and otherwise written
     * along with their neighbours.
     */
    void write(Block block) throws IOException {
        long start = block.start();
        buf.clear().limit(block.length());
        long dataBytes = 0;
        long dataChunks = 0; // bit i: chunk i of the block holds data
        // remote data first, all of the block's reads at once; the rest on this thread meanwhile
        for (ComposedExtent s : block.segments()) {
            if (s.kind() == Extent.Kind.ZERO) {
                continue;
            }
            int at = (int) (s.start() - start);
            dataChunks |= chunkBits(at, (int) s.length());
            dataBytes += s.length();
            if (isRemoteData(s)) {
                // its own view of the buffer: the read runs on another thread
                remoteReads.add(s.image(), images.get(s.image()), s.extent().hostOffset(),
                        buf.slice(at, (int) s.length()), s.start());
            }
        }
        if (remoteReads != null) {
            remoteReads.start();
        }
        for (ComposedExtent s : block.segments()) {
            if (s.kind() == Extent.Kind.ZERO || isRemoteData(s)) {
                continue;
            }
            int at = (int) (s.start() - start);
            Qcow2Image image = images.get(s.image());
            if (s.kind() == Extent.Kind.DATA) {
                try {
                    reader.read(image, s.extent(), buf.position(at));
                } catch (IOException e) {
                    awaitReads();
                    throw new Failures.GuestIOException(s.start(), e);
                }
            } else {
                try {
                    reader.read(image, s.extent(), buf.position(at)); // reports its guest offset
                } catch (IOException | RuntimeException | Error e) {
                    awaitReads();
                    throw e;
                }
            }
        }
        if (remoteReads != null) {
            remoteReads.awaitAll();
        }
        boolean readsAsZeros = sink.readsAsZeros();
        int minZeroRun = sink.minZeroRun();
        for (ComposedExtent s : block.segments()) {
            if (s.kind() != Extent.Kind.ZERO) {
                continue;
            }
            int at = (int) (s.start() - start);
            int n = (int) s.length();
            if (!readsAsZeros && n < minZeroRun) {
                Buffers.fillZeros(buf, at, n); // written with its neighbours
            } else {
                // only where a data chunk needs its zeros for the hash
                long bits = chunkBits(at, n) & dataChunks;
                while (bits != 0) {
                    int c = Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    int from = Math.max(at, c * DiskDigest.CHUNK);
                    int to = Math.min(at + n, (c + 1) * DiskDigest.CHUNK);
                    Buffers.fillZeros(buf, from, to - from);
                }
            }
        }
        buf.clear().limit(block.length());
        long firstChunk = start / DiskDigest.CHUNK;
        for (long bits = dataChunks; bits != 0; bits &= bits - 1) {
            int c = Long.numberOfTrailingZeros(bits);
            // a block ends at a chunk boundary or at the disk's end, as the chunk does
            int length = Math.min(DiskDigest.CHUNK, block.length() - c * DiskDigest.CHUNK);
            digest.add(firstChunk + c, DiskDigest.chunkHash(buf, c * DiskDigest.CHUNK, length));
        }
        try {
            writeRuns(block, readsAsZeros, minZeroRun);
        } catch (IOException e) {
            throw Failures.GuestIOException.writing(start, e);
        }
        counters.data(dataBytes);
        counters.done(block.length());
    }

    /**
     * Writes the block's bytes as few positional writes as possible: consecutive segments that
     * must be written go out together; zero runs are skipped (sink reads as zeros) or zeroed
     * through the kernel ({@code minZeroRun} bytes or more).
     */
    private void writeRuns(Block block, boolean readsAsZeros, int minZeroRun) throws IOException {
        long runStart = -1;
        long runEnd = -1;
        for (ComposedExtent s : block.segments()) {
            boolean zero = s.kind() == Extent.Kind.ZERO;
            if (!zero || !readsAsZeros && s.length() < minZeroRun) {
                if (runStart < 0) {
                    runStart = s.start();
                }
                runEnd = s.end();
                continue;
            }
            writeRun(block.start(), runStart, runEnd);
            runStart = -1;
            if (readsAsZeros) {
                counters.zerosSkipped(s.length());
            } else {
                counters.zeroRun(sink, s.start(), s.length());
            }
        }
        writeRun(block.start(), runStart, runEnd);
    }

    private void writeRun(long blockStart, long runStart, long runEnd) throws IOException {
        if (runStart >= 0) {
            sink.write(buf.slice((int) (runStart - blockStart), (int) (runEnd - runStart)), runStart);
            counters.wrote(runEnd - runStart);
        }
    }

    /** Data of an image whose source asks for reads in flight, when there is a pool for them. */
    private boolean isRemoteData(ComposedExtent s) {
        return s.kind() == Extent.Kind.DATA && remoteReads != null
                && images.get(s.image()).source().preferredConcurrency() > 0;
    }

    /** After a failure on this thread: the reads in flight still fill the buffer; theirs come second. */
    private void awaitReads() {
        if (remoteReads != null) {
            try {
                remoteReads.awaitAll();
            } catch (IOException | RuntimeException e) {
                // the failure on this thread is reported; this one came with it
            }
        }
    }

    /** Bit mask of the chunks of a block that bytes [{@code at}, {@code at + n}) of it touch. */
    private static long chunkBits(int at, int n) {
        int first = at / DiskDigest.CHUNK;
        int last = (at + n - 1) / DiskDigest.CHUNK;
        long upTo = last == CHUNKS_PER_BLOCK - 1 ? -1L : (1L << (last + 1)) - 1;
        return upTo & (-1L << first);
    }

    /** Called once the worker has stopped: the buffer goes back to the pool. */
    @Override
    public void close() {
        reader.close();
        pool.give(buf);
    }
}
