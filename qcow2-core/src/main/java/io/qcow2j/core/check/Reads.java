package io.qcow2j.core.check;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads that behave like qemu's block layer on a file: bytes past the end of the file read as
 * zeros. The check must look at whatever a structure points to, truncated or not, and count the
 * truncation as a corruption rather than stop.
 */
final class Reads {
    private Reads() {
    }

    /** {@code len} bytes at {@code pos}, big-endian, zero-filled past {@code fileSize}. */
    static ByteBuffer read(ByteSource src, long fileSize, long pos, int len, String structure) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(len).order(ByteOrder.BIG_ENDIAN);
        if (pos >= 0 && pos < fileSize) {
            int avail = (int) Math.min(len, fileSize - pos);
            buf.limit(avail);
            src.readFully(buf, pos, structure);
            buf.clear();
        }
        return buf;
    }
}
