package io.qcow2j.core;

import io.qcow2j.core.internal.compress.ClusterDecompressor;
import io.qcow2j.core.internal.compress.ZstdAvailability;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns {@link Extent}s into guest bytes: the one place that reads data clusters, fills zeros and
 * inflates compressed clusters. It keeps a decompressor per compression type and the buffers
 * compressed clusters need, so give each thread its own and reuse it for every read; it is not
 * thread-safe. It works for any image, so one reader serves a whole chain.
 *
 * <p>The last cluster inflated into its own buffer is kept: a block that needs several slices of
 * one compressed cluster inflates it once.
 */
public final class ExtentReader implements AutoCloseable {
    /** Source of zero fills; absolute bulk copies from it are safe from any thread. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final ClusterDecompressor[] decompressors = new ClusterDecompressor[2];
    /** The compressed bytes of one cluster (a descriptor spans at most two clusters' worth). */
    private ByteBuffer scratch;
    /** The last cluster inflated for slicing; valid for {@link #cachedImage} and {@link #cachedDescriptor}. */
    private ByteBuffer cluster;
    private Qcow2Image cachedImage;
    /** Keyed by offset and length, not offset alone: a hostile image may give one offset two lengths. */
    private CompressedDescriptor cachedDescriptor;

    /** A reader with no buffers yet: they are allocated when the first compressed extent is met. */
    public ExtentReader() {
    }

    /**
     * Writes the {@code extent.length()} guest bytes of {@code extent} (an extent of {@code image})
     * at {@code dst}'s position and advances it: data is read from the image's source, zero and
     * unallocated extents read as zeros (the image on its own), compressed extents are inflated.
     *
     * @throws CorruptDataException  when a compressed cluster does not inflate to a full cluster,
     *                               naming the cluster's guest offset
     * @throws InvalidImageException when the file ends before the extent's bytes
     * @throws SourceAccessException when the image's source fails to give them, naming the image and
     *                               the file offset (see {@link SourceAccessException#reading})
     * @throws IllegalArgumentException when {@code dst} has less room than the extent
     */
    public void read(Qcow2Image image, Extent extent, ByteBuffer dst) throws IOException {
        long length = extent.length();
        if (length > dst.remaining()) {
            throw new IllegalArgumentException("extent of " + length + " bytes, buffer has room for "
                    + dst.remaining());
        }
        int len = (int) length;
        int at = dst.position();
        switch (extent.kind()) {
            case DATA -> {
                try {
                    image.source().readFully(dst.slice(at, len), extent.hostOffset(), "data cluster");
                } catch (IOException e) {
                    throw SourceAccessException.reading(image.name(), "data cluster", extent.hostOffset(), e);
                }
            }
            case ZERO, UNALLOCATED -> {
                for (int done = 0; done < len; ) {
                    int n = Math.min(ZEROS.capacity(), len - done);
                    dst.put(at + done, ZEROS, 0, n);
                    done += n;
                }
            }
            case COMPRESSED -> {
                int cs = (int) image.clusterSize();
                int from = (int) (extent.guestOffset() - extent.clusterGuestOffset());
                if (from == 0 && len == cs && dst.isDirect()) {
                    inflate(image, extent, dst.slice(at, cs)); // the whole cluster: no intermediate copy
                } else {
                    dst.put(at, cachedCluster(image, extent), from, len);
                }
            }
        }
        dst.position(at + len);
    }

    /** The inflated cluster of {@code extent}, inflating it unless it is the one kept from before. */
    private ByteBuffer cachedCluster(Qcow2Image image, Extent extent) throws IOException {
        if (cachedImage == image && extent.compressed().equals(cachedDescriptor)) {
            return cluster;
        }
        ensureBuffers((int) image.clusterSize());
        cachedImage = null; // a failed inflate leaves the buffer half written
        inflate(image, extent, cluster);
        cachedImage = image;
        cachedDescriptor = extent.compressed();
        return cluster;
    }

    /**
     * Reads a compressed cluster's bytes and inflates them into {@code dst}: exactly one cluster,
     * from its position 0.
     */
    private void inflate(Qcow2Image image, Extent extent, ByteBuffer dst) throws IOException {
        int cs = (int) image.clusterSize();
        ensureBuffers(cs);
        CompressedDescriptor d = extent.compressed();
        long avail = Math.min(d.length(), image.fileSize() - d.hostOffset());
        scratch.clear().limit((int) avail);
        try {
            image.source().readFully(scratch, d.hostOffset(), "compressed cluster");
        } catch (IOException e) {
            throw SourceAccessException.reading(image.name(), "compressed cluster", d.hostOffset(), e);
        }
        scratch.flip();
        dst.clear().limit(cs);
        int type = image.header().compressionType();
        if (type == Header.COMPRESSION_ZSTD && !ZstdAvailability.present()) {
            throw new NativeLibraryUnavailableException(image.name(), "compressed cluster", d.hostOffset(),
                    Qcow2Image.zstdUnavailable(ZstdAvailability.ABSENT));
        }
        String err = decompressor(type).decompress(scratch, dst);
        if (err != null) {
            throw new CorruptDataException(image.name(), "compressed cluster", d.hostOffset(),
                    extent.clusterGuestOffset(), err, null);
        }
        dst.flip();
    }

    /** Direct buffers (zstd-jni works on native memory) for the largest cluster size seen. */
    private void ensureBuffers(int clusterSize) {
        if (cluster == null || cluster.capacity() < clusterSize) {
            cluster = ByteBuffer.allocateDirect(clusterSize);
            scratch = ByteBuffer.allocateDirect(2 * clusterSize);
            cachedImage = null;
        }
    }

    private ClusterDecompressor decompressor(int compressionType) {
        ClusterDecompressor d = decompressors[compressionType];
        if (d == null) {
            d = ClusterDecompressor.forType(compressionType);
            decompressors[compressionType] = d;
        }
        return d;
    }

    /** Frees the decompressors' native state; the reader must not be used afterwards. */
    @Override
    public void close() {
        for (int i = 0; i < decompressors.length; i++) {
            if (decompressors[i] != null) {
                decompressors[i].close();
                decompressors[i] = null;
            }
        }
    }
}
