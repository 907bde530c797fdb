package io.qcow2j.core;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

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
     * Reads exactly {@code dst.remaining()} bytes at {@code position}. A failing read is wrapped by
     * {@link SourceAccessException#reading}.
     *
     * @throws InvalidImageException naming {@code structure} when the source ends first
     * @throws SourceAccessException  naming this source, structure and offset when a read fails
     *                                with an error that does not name the source itself
     */
    default void readFully(ByteBuffer dst, long position, String structure) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n;
            try {
                n = read(dst, pos);
            } catch (IOException e) { // "connection reset by peer" alone would not say which image
                throw SourceAccessException.reading(name(), structure, pos, e);
            }
            if (n < 0) {
                throw new InvalidImageException(name(), structure, position,
                        "file ends at " + pos + ", before the end of the " + structure + " (truncated image?)");
            }
            pos += n;
        }
    }

    /**
     * Reads several parts of the source, in ascending order of position and not overlapping, each
     * exactly; the bytes between them are not wanted. A remote source can fetch them with one
     * request (the gaps cost bytes, not round trips); by default each part is its own read.
     *
     * @throws InvalidImageException naming {@code structure} when the source ends first
     * @throws IllegalArgumentException when the parts overlap or are out of order
     */
    default void readFully(List<ReadPart> parts, String structure) throws IOException {
        checkParts(parts);
        for (ReadPart p : parts) {
            readFully(p.dst(), p.position(), structure);
        }
    }

    /** Refuses parts out of order or overlapping: a streamed body can fill them only in order. */
    static void checkParts(List<ReadPart> parts) {
        for (int i = 1; i < parts.size(); i++) {
            if (parts.get(i).position() < parts.get(i - 1).end()) {
                throw new IllegalArgumentException("read parts out of order or overlapping at " + parts.get(i).position());
            }
        }
    }
}
