package io.qcow2j.core;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Positional, thread-safe read access to the bytes of one image file. A local file is
 * {@link FileByteSource}; object storage or an in-memory buffer can implement this too.
 */
public interface ByteSource extends Closeable {

    /** A name for messages: the file path, an object key. */
    String name();

    /** Current length in bytes. */
    long size() throws IOException;

    /**
     * Reads up to {@code dst.remaining()} bytes starting at {@code position}; returns the number read,
     * or -1 at end of input. Must be safe to call from several threads at once.
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * How many reads in flight make the best use of this source, or 0 when its reads are bound by
     * the CPU and a local disk (readers then use a thread per core). Object storage answers every
     * request after a network round trip: many requests at once hide that latency.
     */
    default int preferredConcurrency() {
        return 0;
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code position}.
     *
     * @throws InvalidImageException naming {@code structure} when the source ends first
     */
    default void readFully(ByteBuffer dst, long position, String structure) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(dst, pos);
            if (n < 0) {
                throw new InvalidImageException(name(), structure, position,
                        "file ends at " + pos + ", before the end of the " + structure + " (truncated image?)");
            }
            pos += n;
        }
    }
}
