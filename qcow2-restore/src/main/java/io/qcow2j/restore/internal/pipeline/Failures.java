package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.core.CorruptDataException;
import io.qcow2j.restore.target.WriteFailedException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** The first failure of a run and the guest offset it happened at; later ones are dropped. */
final class Failures {
    private final AtomicReference<Throwable> first = new AtomicReference<>();
    private final AtomicLong offset = new AtomicLong(-1);

    /**
     * Records {@code t}, raised while producing the bytes from {@code guestOffset} (-1: not tied to
     * one), unless a failure was recorded before. A {@link GuestIOException} is recorded as its
     * cause: what callers see is a public type (a source's error, a {@link WriteFailedException}).
     */
    void record(long guestOffset, Throwable t) {
        Throwable f = t instanceof GuestIOException g ? g.getCause() : t;
        if (first.compareAndSet(null, f)) {
            long off = guestOffset;
            if (t instanceof CorruptDataException c) {
                off = c.guestOffset();
            } else if (t instanceof GuestIOException g) {
                off = g.guestOffset();
            }
            offset.set(off);
        }
    }

    boolean any() {
        return first.get() != null;
    }

    Throwable first() {
        return first.get();
    }

    long offset() {
        return offset.get();
    }

    /**
     * An I/O error tied to the guest offset being produced; a carrier from a worker to
     * {@link #record}, never seen outside the pipeline.
     */
    static final class GuestIOException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long guestOffset;

        GuestIOException(long guestOffset, IOException cause) {
            super(cause.getMessage(), cause);
            // a block or zero run can be up to a GiB long: report the byte that failed, not its start
            this.guestOffset = cause instanceof WriteFailedException w ? w.position() : guestOffset;
        }

        /** A failed write of the sink at {@code guestOffset}, as a {@link WriteFailedException}. */
        static GuestIOException writing(long guestOffset, IOException e) {
            return new GuestIOException(guestOffset, e instanceof WriteFailedException ? e
                    : new WriteFailedException(guestOffset, e));
        }

        long guestOffset() {
            return guestOffset;
        }
    }
}
