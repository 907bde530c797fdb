package io.qcow2j.core;

import java.nio.ByteBuffer;

/**
 * One piece of a scattered read: the {@code dst.remaining()} bytes of a source at {@code position}
 * go into {@code dst}. See {@link ByteSource#readFully(java.util.List, String)}.
 *
 * @param position where the bytes are in the source
 * @param dst      where they go, from its position
 */
public record ReadPart(long position, ByteBuffer dst) {
    /** The source position just past this part, while {@code dst} has not been read into. */
    public long end() {
        return position + dst.remaining();
    }
}
