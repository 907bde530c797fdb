package io.qcow2j.core.compress;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.util.Native;
import java.nio.ByteBuffer;

/**
 * zstd (compression_type 1). Streaming, like qemu, so the sector padding after the frame is
 * ignored and a frame that ends early is reported. Needs direct buffers (zstd-jni works on native
 * memory); heap buffers are copied. Public only for {@link #loadError()}; internal, not API.
 */
public final class ZstdDecompressor implements ClusterDecompressor {
    /** The reason of the first failed load, kept for a later failure that only says "could not initialize". */
    private static volatile String firstLoadFailure;

    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();

    ZstdDecompressor() {
    }

    @Override
    public String decompress(ByteBuffer src, ByteBuffer dst) {
        ByteBuffer in = direct(src);
        ByteBuffer out = dst.isDirect() ? dst : ByteBuffer.allocateDirect(dst.remaining());
        int outStart = out.position();
        ctx.reset();
        try {
            while (out.hasRemaining()) {
                int inPos = in.position();
                int outPos = out.position();
                boolean frameDone = ctx.decompressDirectByteBufferStream(out, in);
                if (out.hasRemaining() && (frameDone || (in.position() == inPos && out.position() == outPos))) {
                    return "zstd stream ended after " + (out.position() - outStart)
                            + " bytes, before the end of the cluster";
                }
            }
        } catch (ZstdException e) {
            return "invalid zstd data: " + e.getMessage();
        } catch (RuntimeException e) {
            return "invalid zstd data: " + e.getMessage();
        }
        if (out != dst) {
            out.flip();
            dst.put(out);
        }
        return null;
    }

    /**
     * Why zstd cannot be used in this JVM, or null when it can. zstd-jni unpacks its native library
     * into the temp directory on first use (unless {@code -DZstdNativePath} names it), which fails
     * where that directory is read-only or mounted noexec; and a class whose initialisation failed
     * once stays unusable even if a later load succeeds. So this loads the library, then compresses
     * and inflates a few bytes through the same classes a restore uses.
     */
    public static String loadError() {
        try {
            Native.load();
        } catch (LinkageError | RuntimeException e) {
            String reason = reason(e);
            firstLoadFailure = reason;
            return reason;
        }
        // only now touch the classes: one initialised while the library could not load stays broken
        try {
            byte[] sample = new byte[256];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = (byte) (i % 7);
            }
            byte[] frame = Zstd.compress(sample);
            ByteBuffer in = ByteBuffer.allocateDirect(frame.length).put(frame).flip();
            ByteBuffer out = ByteBuffer.allocateDirect(sample.length);
            try (ZstdDecompressor d = new ZstdDecompressor()) {
                String err = d.decompress(in, out);
                if (err != null) {
                    return "self-test failed: " + err;
                }
            }
            if (!out.flip().equals(ByteBuffer.wrap(sample))) {
                return "self-test failed: inflated bytes differ";
            }
            return null;
        } catch (LinkageError | RuntimeException e) {
            String first = firstLoadFailure;
            return reason(e) + (first != null ? " (it first failed to load: " + first + ")" : "");
        }
    }

    private static String reason(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static ByteBuffer direct(ByteBuffer b) {
        if (b.isDirect()) {
            return b;
        }
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining());
        d.put(b.duplicate()).flip();
        return d;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
