package io.qcow2j.core.internal.compress;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.util.Native;
import java.nio.ByteBuffer;

/**
 * zstd (compression_type 1). Streaming, like qemu, so the sector padding after the last frame is
 * ignored and a frame that ends early is reported. Needs direct buffers (zstd-jni works on native
 * memory); heap buffers are copied. Internal, not API.
 * Loading this class needs zstd-jni's classes: ask {@link ZstdAvailability} first.
 */
public final class ZstdDecompressor implements ClusterDecompressor {
    /** The magic number of a zstd frame (little-endian on disk). */
    private static final int ZSTD_MAGIC = 0xFD2FB528;
    /** Skippable frames: magic numbers 0x184D2A50 to 0x184D2A5F. */
    private static final int SKIPPABLE_MAGIC = 0x184D2A50;
    private static final int SKIPPABLE_MASK = 0xFFFFFFF0;

    /** The reason of the first failed load, kept for a later failure that only says "could not initialize". */
    private static volatile String firstLoadFailure;

    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();

    ZstdDecompressor() {
    }

    /**
     * Inflates like qemu: frame after frame until the cluster is full (a cluster may be stored as
     * several frames), and the last frame must end exactly there (one that goes on would inflate to
     * more than a cluster, which qemu refuses).
     */
    @Override
    public String decompress(ByteBuffer src, ByteBuffer dst) {
        ByteBuffer in = direct(src);
        ByteBuffer out = dst.isDirect() ? dst : ByteBuffer.allocateDirect(dst.remaining());
        int outStart = out.position();
        ctx.reset();
        boolean frameDone = false;
        try {
            while (out.hasRemaining()) {
                if (frameDone && !startsWithFrame(in)) {
                    // what follows a finished frame is the sector padding: the data ends here
                    return ended(out.position() - outStart);
                }
                int inPos = in.position();
                int outPos = out.position();
                frameDone = ctx.decompressDirectByteBufferStream(out, in);
                if (in.position() == inPos && out.position() == outPos) {
                    return ended(out.position() - outStart);
                }
            }
        } catch (ZstdException e) {
            return "invalid zstd data: " + e.getMessage();
        } catch (RuntimeException e) {
            return "invalid zstd data: " + e.getMessage();
        }
        if (!frameDone) {
            return "zstd frame goes on past the end of the cluster (" + (out.position() - outStart)
                    + " bytes): it inflates to more than one cluster";
        }
        if (out != dst) {
            out.flip();
            dst.put(out);
        }
        return null;
    }

    private static String ended(int bytes) {
        return "zstd stream ended after " + bytes + " bytes, before the end of the cluster";
    }

    /** True when {@code in} continues with a zstd frame or a skippable frame (by its magic number). */
    private static boolean startsWithFrame(ByteBuffer in) {
        if (in.remaining() < 4) {
            return false;
        }
        int p = in.position();
        int magic = (in.get(p) & 0xff) | (in.get(p + 1) & 0xff) << 8 | (in.get(p + 2) & 0xff) << 16
                | (in.get(p + 3) & 0xff) << 24;
        return magic == ZSTD_MAGIC || (magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC;
    }

    /**
     * Why zstd cannot be used in this JVM, or null when it can. zstd-jni unpacks its native library
     * into the temp directory on first use (unless {@code -DZstdNativePath} names it), which fails
     * where that directory is read-only or mounted noexec; and a class whose initialisation failed
     * once stays unusable even if a later load succeeds. So this loads the library, then compresses
     * and inflates a few bytes through the same classes a restore uses.
     */
    static String loadError() {
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
