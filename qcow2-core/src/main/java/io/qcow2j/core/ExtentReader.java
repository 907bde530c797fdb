package io.qcow2j.core;

import java.io.IOException;
import java.nio.ByteBuffer;

/** TEMPORARY stand-in until the core restructure lands (same API). */
public final class ExtentReader implements AutoCloseable {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();
    private final ClusterDecompressor[] decompressors = new ClusterDecompressor[2];
    private ByteBuffer scratch;
    private ByteBuffer cluster;
    private Qcow2Image cachedImage;
    private CompressedDescriptor cachedDescriptor;

    public ExtentReader() {
    }

    public void read(Qcow2Image image, Extent e, ByteBuffer dst) throws IOException {
        ByteBuffer out = dst.slice(dst.position(), (int) e.length());
        switch (e.kind()) {
            case ZERO, UNALLOCATED -> {
                while (out.hasRemaining()) {
                    out.put(ZEROS.duplicate().limit(Math.min(ZEROS.capacity(), out.remaining())));
                }
            }
            case DATA -> image.source().readFully(out, e.hostOffset(), "data cluster");
            case COMPRESSED -> {
                int cs = (int) image.clusterSize();
                if (scratch == null || cluster.capacity() < cs) {
                    scratch = ByteBuffer.allocateDirect(2 * cs);
                    cluster = ByteBuffer.allocateDirect(cs);
                    cachedImage = null;
                }
                int type = image.header().compressionType();
                if (decompressors[type] == null) {
                    decompressors[type] = image.newDecompressor();
                }
                if (e.guestOffset() == e.clusterGuestOffset() && e.length() == cs && out.isDirect()) {
                    image.inflate(e, decompressors[type], scratch, out);
                } else {
                    if (cachedImage != image || !e.compressed().equals(cachedDescriptor)) {
                        cachedImage = null;
                        image.inflate(e, decompressors[type], scratch, cluster);
                        cachedImage = image;
                        cachedDescriptor = e.compressed();
                    }
                    int from = (int) (e.guestOffset() - e.clusterGuestOffset());
                    out.put(cluster.duplicate().clear().slice(from, (int) e.length()));
                }
            }
        }
        dst.position(dst.position() + (int) e.length());
    }

    @Override
    public void close() {
        for (ClusterDecompressor d : decompressors) {
            if (d != null) {
                d.close();
            }
        }
    }
}
