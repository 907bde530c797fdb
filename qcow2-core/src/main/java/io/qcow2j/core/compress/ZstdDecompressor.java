package io.qcow2j.core.compress;

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
     * Why zstd-jni's native library cannot be loaded in this JVM, or null when it can. zstd-jni
     * unpacks it into the temp directory on first use (unless {@code -DZstdNativePath} names it),
     * which fails where that directory is read-only or mounted noexec. Asking {@link Native#load()}
     * again returns the real reason each time; a class whose initialisation already failed would only
     * say "Could not initialize class".
     */
    public static String loadError() {
        try {
            Native.load();
            return null;
        } catch (LinkageError | RuntimeException e) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }
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
