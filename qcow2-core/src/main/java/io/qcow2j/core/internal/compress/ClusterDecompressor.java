package io.qcow2j.core.internal.compress;

import static io.qcow2j.core.internal.format.Layout.COMPRESSION_ZLIB;
import static io.qcow2j.core.internal.format.Layout.COMPRESSION_ZSTD;

import java.nio.ByteBuffer;

/**
 * Inflates one compressed cluster. Instances keep native or JDK state and are not thread-safe:
 * give each worker its own (see {@link #forType}). Internal, not API.
 */
public interface ClusterDecompressor extends AutoCloseable {

    /**
     * Inflates {@code src} (the compressed range, possibly followed by padding) into {@code dst}
     * until {@code dst} is full, as qemu does.
     *
     * @return null on success, or why the data is bad (stream error, or ended before a full cluster)
     */
    String decompress(ByteBuffer src, ByteBuffer dst);

    @Override
    void close();

    /** A decompressor for a header's {@code compression_type} (0 deflate, 1 zstd). */
    static ClusterDecompressor forType(int compressionType) {
        return switch (compressionType) {
            case COMPRESSION_ZLIB -> new DeflateDecompressor();
            case COMPRESSION_ZSTD -> new ZstdDecompressor();
            default -> throw new IllegalArgumentException("unknown compression type " + compressionType);
        };
    }
}
