package io.qcow2j.restore.target;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a restore writes the disk: positional writes from several threads in any order, zero
 * ranges, and durability at the end. {@link io.qcow2j.restore.Restore} opens the file and block-device sink itself;
 * an embedder may implement it to restore elsewhere. Every method except {@link #close()} may be
 * called from several threads at once.
 */
public interface Sink extends Closeable {

    /** A name for messages: the target path. */
    String name();

    /** What the target is. */
    TargetKind kind();

    /** True when aligned writes bypass the page cache ({@code O_DIRECT}): no background flush is needed. */
    boolean direct();

    /** True when the target already reads as zeros wherever the restore does not write. */
    boolean readsAsZeros();

    /**
     * Writes all of {@code src} at byte {@code position}.
     *
     * @throws WriteFailedException naming the first byte not written
     */
    void write(ByteBuffer src, long position) throws IOException;

    /**
     * Makes [{@code offset}, {@code offset + length}) read as zeros.
     *
     * @return how many of those bytes already read as zeros and were left alone
     */
    long zero(long offset, long length) throws IOException;

    /**
     * The shortest zero run inside a block of data worth a {@link #zero} call rather than being
     * written along with its neighbours ({@link Integer#MAX_VALUE}: always write the zeros).
     */
    int minZeroRun();

    /**
     * Starts writeback of what was written so far (data only) so the final {@link #force()} has
     * little left to do; a sink that keeps no cache does nothing.
     */
    void flush() throws IOException;

    /**
     * Bytes of zero ranges this sink wrote as literal zeros because it could not zero them more
     * cheaply; 0 for a sink that never does.
     */
    default long zeroBytesWritten() {
        return 0;
    }

    /** Makes every write durable (data and metadata); the restore reports success only after it. */
    void force() throws IOException;
}
