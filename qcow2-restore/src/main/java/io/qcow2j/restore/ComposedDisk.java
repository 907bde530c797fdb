package io.qcow2j.restore;

import io.qcow2j.core.Extent;
import io.qcow2j.core.ExtentReader;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The merged guest disk of a {@link Chain}, read at any offset: what a restore writes, without
 * writing it (go-qcow2reader's {@code ReadAt}). The base of file-level restore and of a read-only
 * export.
 *
 * <p>Reads compose the chain one window at a time, as a restore does, so memory is that of one
 * window's extents whatever the length asked for; the images' L2 caches are shared with every
 * other user of the chain. Thread-safe: any number of threads may read at once; each read keeps
 * one {@link ExtentReader} (buffers for compressed clusters), kept for later reads until
 * {@link #close()}. The chain stays the caller's: close it after this.
 *
 * <p>Failures are typed: a source that cannot be read is a {@link io.qcow2j.core.SourceAccessException}
 * naming the image and file offset; bad metadata an {@link io.qcow2j.core.InvalidImageException}; a
 * compressed cluster that does not inflate a {@link io.qcow2j.core.CorruptDataException} with its
 * guest offset.
 */
public final class ComposedDisk implements AutoCloseable {
    private final List<Qcow2Image> images;
    private final long size;
    /** Readers not in use; at most as many as reads ever ran at once. */
    private final Queue<ExtentReader> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private ComposedDisk(Chain chain) {
        this.images = chain.images();
        this.size = chain.virtualSize();
    }

    /** The composed disk of {@code chain}, which must stay open while this is used. */
    public static ComposedDisk of(Chain chain) {
        return new ComposedDisk(chain);
    }

    /** Size of the disk in bytes: the newest image's virtual size. */
    public long size() {
        return size;
    }

    /**
     * Reads the disk's bytes from {@code guestOffset} into {@code dst}, from its position, as
     * {@link java.nio.channels.FileChannel#read(ByteBuffer, long)} reads a file: as many as fit,
     * fewer when the disk ends first; the position advances by the count. On a failure the
     * buffer's position is unchanged and its content from there is undefined.
     *
     * @return the number of bytes read, possibly zero; -1 when {@code guestOffset} is at or past the
     *         end of the disk
     * @throws IllegalArgumentException {@code guestOffset} is negative
     * @throws IllegalStateException    this was closed
     */
    public int read(ByteBuffer dst, long guestOffset) throws IOException {
        if (guestOffset < 0) {
            throw new IllegalArgumentException("negative guest offset " + guestOffset);
        }
        requireOpen();
        if (guestOffset >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - guestOffset);
        if (n == 0) {
            return 0;
        }
        int start = dst.position();
        ByteBuffer into = dst.duplicate(); // the caller's position moves only when the read succeeded
        ExtentReader reader = take();
        try {
            new Composition(images).forEachWindow(guestOffset, n, (s, e, extents) -> {
                for (ComposedExtent c : extents) {
                    // zeros no image describes read the same through any image
                    reader.read(images.get(Math.max(0, c.image())), c.extent(), into);
                }
                return true;
            });
        } finally {
            give(reader);
        }
        dst.position(start + n);
        return n;
    }

    /**
     * The extents of [{@code offset}, {@code offset + length}) clamped to the disk, in order,
     * covering it without gaps, neighbours of one kind from one image merged. It holds every extent
     * of the range: ask for ranges, not for the whole of a huge fragmented disk.
     *
     * @throws IllegalArgumentException {@code offset} or {@code length} is negative
     */
    public List<DiskExtent> extents(long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range: offset " + offset + ", length " + length);
        }
        requireOpen();
        List<DiskExtent> out = new ArrayList<>();
        if (offset >= size) {
            return out;
        }
        new Composition(images).forEachWindow(offset, length, (s, e, extents) -> {
            for (ComposedExtent c : extents) {
                Extent.Kind kind = c.image() < 0 ? Extent.Kind.UNALLOCATED : c.kind();
                DiskExtent d = new DiskExtent(c.start(), c.length(), kind, c.image());
                int last = out.size() - 1;
                DiskExtent merged = last < 0 ? null : out.get(last).merge(d);
                if (merged != null) {
                    out.set(last, merged);
                } else {
                    out.add(d);
                }
            }
            return true;
        });
        return out;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the composed disk was closed");
        }
    }

    private ExtentReader take() {
        ExtentReader r = idle.poll();
        return r != null ? r : new ExtentReader();
    }

    private void give(ExtentReader r) {
        idle.offer(r);
        if (closed && idle.remove(r)) { // closed meanwhile: nobody else will free it
            r.close();
        }
    }

    /** Frees the readers' buffers and native state; reads fail afterwards. The chain stays open. */
    @Override
    public void close() {
        closed = true;
        for (ExtentReader r; (r = idle.poll()) != null; ) {
            r.close();
        }
    }
}
