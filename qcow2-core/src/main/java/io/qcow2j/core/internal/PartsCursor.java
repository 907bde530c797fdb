package io.qcow2j.core.internal;

import io.qcow2j.core.ReadPart;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One response body spread over parts (ascending, disjoint): each byte to its part, the bytes of
 * the gaps between parts dropped. Kept across the attempts of one read, {@link #consumed()} is
 * where a retry resumes. The three store modules' merged ranged reads share it. Not thread-safe.
 */
public final class PartsCursor {
    private final List<ReadPart> parts;
    /** Where each part starts and ends in the object, fixed before its buffer fills. */
    private final long[] starts;
    private final long[] ends;
    private final long start;
    private final int length;
    private long consumed;
    private int next;

    /** @throws IllegalArgumentException when the span from the first part to the end of the last exceeds an int */
    public PartsCursor(List<ReadPart> parts) {
        this.parts = List.copyOf(parts);
        starts = parts.stream().mapToLong(ReadPart::position).toArray();
        ends = parts.stream().mapToLong(ReadPart::end).toArray();
        start = starts[0];
        long span = ends[ends.length - 1] - start;
        if (span > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a scattered read of " + span + " bytes");
        }
        length = (int) span;
    }

    /** Where the span starts in the object. */
    public long start() {
        return start;
    }

    /** The span's length: the first part's start to the last part's end. */
    public int length() {
        return length;
    }

    /** Body bytes taken so far, over all attempts. */
    public long consumed() {
        return consumed;
    }

    /** Where in the object a retry resumes: the span's start plus the bytes taken. */
    public long resumeAt() {
        return start + consumed;
    }

    /** Bytes of the span not taken yet: what a retry asks for. */
    public int remaining() {
        return (int) (length - consumed);
    }

    /** Takes the next {@code len} body bytes; the caller never gives more than the span holds. */
    public void put(byte[] b, int off, int len) {
        put(ByteBuffer.wrap(b, off, len));
    }

    /**
     * Takes {@code src}'s remaining bytes as the next body bytes (an HTTP client's own buffer, taken
     * as it is: no copy into an array first); never more than the span holds.
     */
    public void put(ByteBuffer src) {
        int len = src.remaining();
        if (len > length - consumed) {
            throw new IllegalArgumentException(len + " bytes past the span's end");
        }
        int limit = src.limit();
        while (src.hasRemaining()) {
            long at = start + consumed;
            while (ends[next] <= at) {
                next++;
            }
            boolean gap = at < starts[next];
            int n = (int) Math.min(src.remaining(), gap ? starts[next] - at : ends[next] - at);
            if (gap) {
                src.position(src.position() + n);
            } else {
                src.limit(src.position() + n);
                parts.get(next).dst().put(src);
                src.limit(limit);
            }
            consumed += n;
        }
    }

    /** Where {@link #readFrom} gets the body: at most {@code max} bytes into {@code dst}, -1 at its end. */
    @FunctionalInterface
    public interface BodySource {
        int read(ByteBuffer dst, int max) throws IOException;
    }

    /**
     * Reads the next body bytes from {@code in} straight into their part's buffer (the bytes of a
     * gap into {@code scratch}, dropped): no copy on the way. Only while {@link #remaining()} is
     * more than 0.
     *
     * @return the bytes taken, or -1 at the body's end
     */
    public int readFrom(BodySource in, ByteBuffer scratch) throws IOException {
        long at = start + consumed;
        while (ends[next] <= at) {
            next++;
        }
        int n;
        if (at < starts[next]) {
            scratch.clear();
            n = in.read(scratch, (int) Math.min(scratch.capacity(), starts[next] - at));
        } else {
            n = in.read(parts.get(next).dst(), (int) Math.min(Integer.MAX_VALUE, ends[next] - at));
        }
        if (n > 0) {
            consumed += n;
        }
        return n;
    }
}
