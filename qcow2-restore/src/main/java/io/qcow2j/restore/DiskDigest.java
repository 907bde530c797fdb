package io.qcow2j.restore;

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
 * The restore digest ("xxh64-4m"): the disk is cut into 4 MiB blocks at fixed guest offsets; block
 * {@code i} contributes {@code XXH64(le64(i) || le64(XXH64(block, 0)), 0)}; the contributions are
 * summed (mod 2^64) and the digest is {@code XXH64(le64(sum) || le64(diskSize), 0)}.
 *
 * <p>Why this shape: blocks are hashed by whichever worker produced them, in any order, and the sum
 * makes the result independent of that order while the index keeps it dependent on position. All-zero
 * blocks share one inner hash, so a sparse 1 TiB disk costs a multiply-add per block, not a hash
 * of 1 TiB. {@link #of(Path, long)} computes the same value from any raw file or device.
 */
public final class DiskDigest {
    public static final int BLOCK = 4 << 20;
    private static final XXHash64 HASH = XXHashFactory.fastestInstance().hash64();
    private static final long ZERO_BLOCK_HASH;

    static {
        ByteBuffer z = ByteBuffer.allocateDirect(BLOCK);
        ZERO_BLOCK_HASH = HASH.hash(z, 0, BLOCK, 0);
    }

    private final long size;
    private final AtomicLong sum = new AtomicLong();

    public DiskDigest(long size) {
        this.size = size;
    }

    /** XXH64 of a block's bytes (position..limit of {@code block}, not consumed). */
    public static long blockHash(ByteBuffer block) {
        return HASH.hash(block, block.position(), block.remaining(), 0);
    }

    /** Inner hash of an all-zero block of {@code length} bytes. */
    public static long zeroBlockHash(int length) {
        if (length == BLOCK) {
            return ZERO_BLOCK_HASH;
        }
        return HASH.hash(ByteBuffer.allocate(length), 0, length, 0);
    }

    /** Adds block {@code index} given its inner hash; thread-safe, any order. */
    public void add(long index, long blockHash) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(index).putLong(blockHash);
        sum.addAndGet(HASH.hash(b.array(), 0, 16, 0));
    }

    /** The digest as 16 hex digits; call once every block was added. */
    public String value() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(sum.get()).putLong(size);
        return String.format("%016x", HASH.hash(b.array(), 0, 16, 0));
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
        ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
        long blocks = (size + BLOCK - 1) / BLOCK;
        for (long i = 0; i < blocks; i++) {
            long start = i * BLOCK;
            int len = (int) Math.min(BLOCK, size - start);
            buf.clear().limit(len);
            long pos = start;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException("short read at " + pos + " while hashing (file is shorter than " + size + ")");
                }
                pos += n;
            }
            buf.flip();
            d.add(i, blockHash(buf));
        }
        return d.value();
    }
}
