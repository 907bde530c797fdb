package io.qcow2j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Reads one image's guest content with reusable buffers and decompressor; one per thread.
 * Unallocated bytes read as zeros: this is the content of the image on its own.
 */
public final class GuestReader implements AutoCloseable {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();
    private final Qcow2Image image;
    private ClusterDecompressor decompressor;
    private ByteBuffer scratch;
    private ByteBuffer cluster;

    public GuestReader(Qcow2Image image) {
        this.image = image;
    }

    /** Fills {@code dst} with guest bytes from {@code offset}. */
    public void read(ByteBuffer dst, long offset) throws IOException {
        long len = dst.remaining();
        if (offset < 0 || offset + len > image.virtualSize()) {
            throw new IllegalArgumentException("read [" + offset + ", " + (offset + len) + ") outside the virtual size "
                    + image.virtualSize());
        }
        List<Extent> extents = image.extents(offset, len);
        for (Extent e : extents) {
            ByteBuffer part = dst.slice(dst.position() + (int) (e.guestOffset() - offset), (int) e.length());
            readExtent(e, part);
        }
        dst.position(dst.limit());
    }

    /** Produces the bytes of one extent of this image into {@code dst} (exactly e.length() bytes). */
    public void readExtent(Extent e, ByteBuffer dst) throws IOException {
        switch (e.kind()) {
            case ZERO, UNALLOCATED -> {
                while (dst.hasRemaining()) {
                    dst.put(ZEROS.duplicate().limit(Math.min(ZEROS.capacity(), dst.remaining())));
                }
            }
            case DATA -> image.source().readFully(dst, e.hostOffset(), "data cluster");
            case COMPRESSED -> {
                ensureCompressionBuffers();
                image.inflate(e, decompressor, scratch, cluster);
                int from = (int) (e.guestOffset() - e.clusterGuestOffset());
                dst.put(cluster.slice(from, (int) e.length()));
            }
        }
    }

    private void ensureCompressionBuffers() {
        if (decompressor == null) {
            decompressor = image.newDecompressor();
            int cs = (int) image.clusterSize();
            scratch = ByteBuffer.allocateDirect(2 * cs);
            cluster = ByteBuffer.allocateDirect(cs);
        }
    }

    @Override
    public void close() {
        if (decompressor != null) {
            decompressor.close();
        }
    }
}
