package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.ENTRY_BYTES;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a table of big-endian 64-bit entries (the L1 table, the refcount table) in chunks and hands
 * each non-zero entry to a visitor: a table of millions of mostly zero entries costs one chunk of
 * heap, not its size.
 */
final class TableScan {
    /** Entries read at once. */
    static final int READ_CHUNK = 8192;

    /** Receives one non-zero entry. */
    @FunctionalInterface
    interface Visitor {
        void entry(int index, long value) throws IOException;
    }

    private TableScan() {
    }

    /** Visits the non-zero entries among the {@code n} at {@code offset}, in order. */
    static void forEachNonZero(ByteSource src, long offset, int n, String structure, Visitor visitor)
            throws IOException {
        int chunk = Math.min(n, READ_CHUNK);
        ByteBuffer buf = ByteBuffer.allocate(chunk * ENTRY_BYTES).order(ByteOrder.BIG_ENDIAN);
        long[] words = new long[chunk];
        for (int first = 0; first < n; first += chunk) {
            int count = Math.min(chunk, n - first);
            buf.clear().limit(count * ENTRY_BYTES);
            src.readFully(buf, offset + (long) first * ENTRY_BYTES, structure);
            buf.flip();
            // one bulk byte-swapping copy: a bounds-checked getLong per entry is slow on the cold JVM
            // that opens a chain (most entries are zero and need nothing else)
            buf.asLongBuffer().get(words, 0, count);
            for (int j = 0; j < count; j++) {
                if (words[j] != 0) {
                    visitor.entry(first + j, words[j]);
                }
            }
        }
    }
}
