package io.qcow2j.core.internal.compress;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** Raw deflate (no zlib header), as qemu writes compression_type 0 clusters. */
final class DeflateDecompressor implements ClusterDecompressor {
    private final Inflater inflater = new Inflater(true);

    @Override
    public String decompress(ByteBuffer src, ByteBuffer dst) {
        inflater.reset();
        inflater.setInput(src);
        try {
            while (dst.hasRemaining()) {
                int n = inflater.inflate(dst);
                if (n == 0) {
                    if (inflater.finished() || inflater.needsInput()) {
                        return "deflate stream ended after " + inflater.getBytesWritten()
                                + " bytes, before the end of the cluster";
                    }
                    if (inflater.needsDictionary()) {
                        return "deflate stream needs a preset dictionary";
                    }
                }
            }
            return null;
        } catch (DataFormatException e) {
            return "invalid deflate data: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        inflater.end();
    }
}
