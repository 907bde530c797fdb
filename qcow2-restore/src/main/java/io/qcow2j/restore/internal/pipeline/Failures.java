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
     * one), unless a failure was recorded before.
     */
    void record(long guestOffset, Throwable t) {
        if (first.compareAndSet(null, t)) {
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

    /** An I/O error tied to the guest offset being produced. */
    static final class GuestIOException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long guestOffset;

        GuestIOException(long guestOffset, IOException cause) {
            super(cause.getMessage(), cause);
            // a block or zero run can be up to a GiB long: report the byte that failed, not its start
            this.guestOffset = cause instanceof WriteFailedException w ? w.position() : guestOffset;
        }

        long guestOffset() {
            return guestOffset;
        }
    }
}
