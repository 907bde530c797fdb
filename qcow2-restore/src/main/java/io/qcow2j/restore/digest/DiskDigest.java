package io.qcow2j.restore.digest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The restore digest ({@value #NAME}): the disk is cut into 64 KiB chunks at fixed guest offsets (the
 * last one may be shorter); chunk {@code i} with bytes {@code c} contributes
 * {@code mix(i, XXH64(c, 0)) - mix(i, XXH64(zeros(|c|), 0))} where
 * {@code mix(i, h) = XXH64(le64(i) || le64(h), 0)}; the contributions are summed (mod 2^64) and the
 * digest is {@code XXH64(le64(sum) || le64(diskSize), 0)}.
 *
 * <p>Why this shape: chunks are hashed by whichever worker produced them, in any order, and the sum
 * makes the result independent of that order while the index keeps it dependent on position. An
 * all-zero chunk contributes exactly 0, so the restore hashes only the chunks it writes data into:
 * zero ranges cost nothing however large the disk, and a data chunk that happens to hold zeros
 * still gets the right value without being recognised. {@link #of(Path, long)} computes the same
 * value from any raw file or device.
 */
public final class DiskDigest {
    /** The digest's name, printed before its value. */
    public static final String NAME = "xxh64-64k";
    /** Bytes per chunk. */
    public static final int CHUNK = 64 << 10;
    /** Bytes read at once by {@link #of(FileChannel, long)}. */
    private static final int READ = 4 << 20;
    private static final XXHash64 HASH = XXHashFactory.fastestInstance().hash64();
    /** Mixing 16 bytes costs less in Java than a JNI call. */
    private static final XXHash64 SMALL = XXHashFactory.fastestJavaInstance().hash64();
    private static final long ZERO_CHUNK_HASH = HASH.hash(ByteBuffer.allocateDirect(CHUNK), 0, CHUNK, 0);

    private final long size;
    private final AtomicLong sum = new AtomicLong();

    /**
     * Initialises the digest's native hash (lz4-java extracts and loads a shared library, slow on
     * a cold JVM). Calling it is never needed; a CLI calls it on a spare thread during start-up so
     * the first restored block does not wait for it.
     */
    public static void preload() {
        // the static initialiser above has run once this method is entered
    }

    /** An empty digest of a disk of {@code size} bytes. */
    public DiskDigest(long size) {
        this.size = size;
    }

    /** Length of chunk {@code index} of a disk of {@code size} bytes. */
    public static int chunkLength(long index, long size) {
        return (int) Math.min(CHUNK, size - index * CHUNK);
    }

    /** XXH64 of {@code length} bytes of {@code buf} from {@code offset} (position and limit untouched). */
    public static long chunkHash(ByteBuffer buf, int offset, int length) {
        return HASH.hash(buf, offset, length, 0);
    }

    /**
     * Adds chunk {@code index} given the XXH64 of its bytes; thread-safe, any order. Chunks that
     * read as zeros need not be added (they contribute 0).
     */
    public void add(long index, long chunkHash) {
        long zero = zeroHash(chunkLength(index, size));
        if (chunkHash != zero) {
            sum.addAndGet(mix(index, chunkHash) - mix(index, zero));
        }
    }

    /** Hashes and adds chunk {@code index}, whose bytes are in {@code buf} from {@code offset}. */
    private void addChunk(long index, ByteBuffer buf, int offset) {
        add(index, chunkHash(buf, offset, chunkLength(index, size)));
    }

    /**
     * Hashes and adds every chunk of the disk bytes [{@code start}, {@code start + length}), held in
     * {@code buf} from offset 0; {@code start} must be a multiple of {@link #CHUNK}.
     */
    public void addRange(long start, ByteBuffer buf, int length) {
        for (int at = 0; at < length; at += CHUNK) {
            addChunk((start + at) / CHUNK, buf, at);
        }
    }

    private static long zeroHash(int length) {
        return length == CHUNK ? ZERO_CHUNK_HASH : HASH.hash(new byte[length], 0, length, 0);
    }

    private static long mix(long a, long b) {
        byte[] x = new byte[16];
        ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).putLong(a).putLong(b);
        return SMALL.hash(x, 0, 16, 0);
    }

    /** The digest as 16 hex digits; call once every non-zero chunk was added. */
    public String value() {
        return String.format("%016x", mix(sum.get(), size));
    }

    /** Digest of the first {@code size} bytes of a raw file or block device. */
    public static String of(Path raw, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
            return of(ch, size);
        }
    }

    /** Digest of the first {@code size} bytes readable from {@code ch}. */
    public static String of(FileChannel ch, long size) throws IOException {
        DiskDigest d = new DiskDigest(size);
        ByteBuffer buf = ByteBuffer.allocateDirect(READ);
        for (long start = 0; start < size; start += READ) {
            int len = (int) Math.min(READ, size - start);
            buf.clear().limit(len);
            long pos = start;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException("short read at " + pos + " while hashing (file is shorter than " + size + ")");
                }
                pos += n;
            }
            d.addRange(start, buf, len);
        }
        return d.value();
    }
}
