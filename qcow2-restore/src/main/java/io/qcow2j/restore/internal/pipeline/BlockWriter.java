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

/**
 * One worker's assembly line: produces a {@link Block} in the buffer it came with (the remote reads
 * {@link FetchAhead} started waited for, local data read, compressed clusters inflated, zeros filled
 * where needed), adds its data chunks to the digest and writes it with as few positional writes as
 * possible. Not thread-safe: one per worker thread.
 */
final class BlockWriter implements AutoCloseable {
    /** Digest chunks per block: one bit each in a {@code long}. */
    private static final int CHUNKS_PER_BLOCK = BlockPlanner.BLOCK / DiskDigest.CHUNK;

    private final List<Qcow2Image> images;
    private final Sink sink;
    private final DiskDigest digest;
    private final Counters counters;
    private final ExtentReader reader = new ExtentReader();
    /** Whether remote images' data comes fetched ({@link FetchAhead}) rather than read here. */
    private final boolean remoteFetched;

    /** @param remoteFetched whether {@link FetchAhead} fetches remote images' data */
    BlockWriter(List<Qcow2Image> images, Sink sink, DiskDigest digest, Counters counters, boolean remoteFetched) {
        this.images = images;
        this.remoteFetched = remoteFetched;
        this.sink = sink;
        this.digest = digest;
        this.counters = counters;
    }

    /**
     * Assembles, hashes and writes one block. Only the 64 KiB chunks holding data are zero-filled
     * where needed and hashed (all-zero chunks add nothing to the digest); zero runs are skipped
     * on a sink that reads as zeros, handed to the kernel when long enough, and otherwise written
     * along with their neighbours. The caller waits for {@code fetch} again before it reuses
     * {@code buf}, whatever this throws.
     *
     * @param buf   the block's buffer, {@code block.length()} bytes, remote data arriving in it
     * @param fetch the reads filling {@code buf} with remote data
     */
    void write(Block block, ByteBuffer buf, BlockReads.Fetch fetch) throws IOException {
        long start = block.start();
        buf.clear().limit(block.length());
        long dataBytes = 0;
        long dataChunks = 0; // bit i: chunk i of the block holds data
        // local data on this thread while the remote reads are in flight
        for (ComposedExtent s : block.segments()) {
            if (s.kind() == Extent.Kind.ZERO) {
                continue;
            }
            int at = (int) (s.start() - start);
            dataChunks |= chunkBits(at, (int) s.length());
            dataBytes += s.length();
            if (FetchAhead.fetched(images, s, remoteFetched)) {
                continue;
            }
            Qcow2Image image = images.get(s.image());
            if (s.kind() == Extent.Kind.DATA) {
                try {
                    reader.read(image, s.extent(), buf.position(at));
                } catch (IOException e) {
                    fetch.awaitQuietly(); // the failure on this thread is reported; theirs come second
                    throw new Failures.GuestIOException(s.start(), e);
                }
            } else {
                try {
                    reader.read(image, s.extent(), buf.position(at)); // reports its guest offset
                } catch (IOException | RuntimeException | Error e) {
                    fetch.awaitQuietly();
                    throw e;
                }
            }
        }
        fetch.awaitAll();
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
            writeRuns(block, buf, readsAsZeros, minZeroRun);
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
    private void writeRuns(Block block, ByteBuffer buf, boolean readsAsZeros, int minZeroRun) throws IOException {
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
            writeRun(buf, block.start(), runStart, runEnd);
            runStart = -1;
            if (readsAsZeros) {
                counters.zerosSkipped(s.length());
            } else {
                counters.zeroRun(sink, s.start(), s.length());
            }
        }
        writeRun(buf, block.start(), runStart, runEnd);
    }

    private void writeRun(ByteBuffer buf, long blockStart, long runStart, long runEnd) throws IOException {
        if (runStart >= 0) {
            sink.write(buf.slice((int) (runStart - blockStart), (int) (runEnd - runStart)), runStart);
            counters.wrote(runEnd - runStart);
        }
    }

    /** Bit mask of the chunks of a block that bytes [{@code at}, {@code at + n}) of it touch. */
    private static long chunkBits(int at, int n) {
        int first = at / DiskDigest.CHUNK;
        int last = (at + n - 1) / DiskDigest.CHUNK;
        long upTo = last == CHUNKS_PER_BLOCK - 1 ? -1L : (1L << (last + 1)) - 1;
        return upTo & (-1L << first);
    }

    /** Called once the worker has stopped. */
    @Override
    public void close() {
        reader.close();
    }
}
