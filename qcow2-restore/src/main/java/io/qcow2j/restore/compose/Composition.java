package io.qcow2j.restore.compose;

import io.qcow2j.restore.internal.ParallelIo;
import io.qcow2j.restore.internal.compose.Windows;
import io.qcow2j.core.Extent;
import io.qcow2j.core.Qcow2Image;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * A chain of images, oldest first, composed into the extents of the restored disk
 * (docs/architecture.md, invariant 2), one {@linkplain Windows window} at a time. Restore,
 * {@code map} and {@code restore-vm}'s plan all go through it. Not thread-safe: one composition per thread.
 */
public final class Composition {
    private final List<Qcow2Image> images;
    private final Composer composer;
    private final long virtualSize;

    /**
     * @param images oldest first, at least one; the restored disk has the newest image's virtual
     *               size
     */
    public Composition(List<Qcow2Image> images) {
        this(images, null);
    }

    /**
     * @param images  oldest first, at least one
     * @param lookups threads that ask the images for their extents at once (for images in object
     *                storage, where each L2 read is a round trip), or null to ask one after the
     *                other; the caller shuts it down
     */
    public Composition(List<Qcow2Image> images, ExecutorService lookups) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a composition needs at least one image");
        }
        List<Qcow2Image> copy = List.copyOf(images);
        this.images = copy;
        this.virtualSize = copy.get(copy.size() - 1).virtualSize();
        this.composer = new Composer(copy, virtualSize, lookups);
    }

    /** Size of the composed disk. */
    public long virtualSize() {
        return virtualSize;
    }

    /**
     * Composed extents of [{@code offset}, {@code offset + length}) clamped to the virtual size, in
     * guest order, covering the range without gaps, neighbours from one image merged.
     */
    public List<ComposedExtent> compose(long offset, long length) throws IOException {
        return composer.compose(offset, length);
    }

    /** Receives the composed extents of one window. */
    @FunctionalInterface
    public interface WindowVisitor {
        /** @return whether to go on with the next window */
        boolean visit(long start, long end, List<ComposedExtent> extents) throws IOException;
    }

    /**
     * Composes the disk window by window, in guest order.
     *
     * @return true when every window was visited, false when the visitor stopped
     */
    public boolean forEachWindow(WindowVisitor visitor) throws IOException {
        return forEachWindow(0, virtualSize, visitor);
    }

    /**
     * As {@link #forEachWindow(WindowVisitor)} for [{@code offset}, {@code offset + length})
     * clamped to the virtual size: random access in the memory of one window.
     */
    public boolean forEachWindow(long offset, long length, WindowVisitor visitor) throws IOException {
        long end = offset + Math.min(length, virtualSize - offset);
        if (!composer.looksUpAhead() || offset >= end) {
            return Windows.forEach(offset, end, this::nextMapped, (s, e) -> visitor.visit(s, e, compose(s, e - s)));
        }
        // With lookup threads (images in object storage) the next window's L2 lookups run while the
        // visitor takes this one: a window no longer waits a round trip before its first block
        // (docs/decisions.md). A failure of the next window's lookups surfaces when it is composed,
        // so errors name the window they belong to, as without the lookahead.
        long w = offset;
        long e = Windows.end(w, end, this::nextMapped);
        ParallelIo.Running<List<Extent>> next = composer.lookUpAhead(w, e);
        try {
            while (true) {
                ParallelIo.Running<List<Extent>> current = next;
                next = null;
                List<List<Extent>> fetched = current.await();
                long nextEnd = e < end ? Windows.end(e, end, this::nextMapped) : e;
                if (e < end) {
                    next = composer.lookUpAhead(e, nextEnd);
                }
                if (!visitor.visit(w, e, composer.paint(w, e, fetched))) {
                    return false;
                }
                if (e >= end) {
                    return true;
                }
                w = e;
                e = nextEnd;
            }
        } finally {
            if (next != null) {
                next.abandon(); // no lookup outlives the call: the caller may close the chain next
            }
        }
    }

    /**
     * The first offset at or after {@code offset} that any image may map; past an image's end it
     * maps nothing either (its zeros there need no lookup).
     */
    private long nextMapped(long offset) {
        long next = virtualSize;
        for (Qcow2Image img : images) {
            next = Math.min(next, img.nextMapped(offset));
            if (next - offset < Windows.SIZE) {
                break; // the next window is a normal one
            }
        }
        return next;
    }

    /** Bytes of the composed disk that are data or compressed (what a new sparse target receives). */
    public long dataBytes() throws IOException {
        long[] n = {0};
        forEachWindow((s, e, extents) -> {
            for (ComposedExtent c : extents) {
                if (c.kind() != Extent.Kind.ZERO) {
                    n[0] += c.length();
                }
            }
            return true;
        });
        return n[0];
    }
}
