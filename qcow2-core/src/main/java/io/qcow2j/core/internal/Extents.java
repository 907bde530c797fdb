package io.qcow2j.core.internal;

import io.qcow2j.core.Extent;
import io.qcow2j.core.Extent.Kind;

/**
 * Merging neighbouring {@link Extent}s into runs: the image's extent walker and the restore's
 * composition use it; not API.
 */
public final class Extents {
    private Extents() {
    }

    /** True when {@code next} continues {@code e} and both can be served by one operation. */
    public static boolean canMerge(Extent e, Extent next) {
        if (next.kind() != e.kind() || next.guestOffset() != e.end()) {
            return false;
        }
        return switch (e.kind()) {
            case DATA -> next.hostOffset() == e.hostOffset() + e.length();
            case ZERO, UNALLOCATED -> true;
            case COMPRESSED -> false;
        };
    }

    /**
     * As {@code qemu-img map} merges: same kind, and host offsets both absent or contiguous;
     * compressed clusters merge since their offsets are not reported.
     */
    public static boolean canMergeExact(Extent e, Extent next) {
        if (next.kind() != e.kind() || next.guestOffset() != e.end()) {
            return false;
        }
        if (e.kind() == Kind.COMPRESSED) {
            return true;
        }
        return e.hostOffset() < 0 ? next.hostOffset() < 0 : next.hostOffset() == e.hostOffset() + e.length();
    }

    /**
     * {@code e} followed by {@code next}, which must continue it ({@link #canMerge} or
     * {@link #canMergeExact}).
     */
    public static Extent merge(Extent e, Extent next) {
        long host = e.kind() == Kind.DATA || next.hostOffset() == e.hostOffset() + e.length() ? e.hostOffset() : -1;
        return new Extent(e.kind(), e.guestOffset(), e.length() + next.length(), host, e.compressed(),
                e.clusterGuestOffset());
    }
}
