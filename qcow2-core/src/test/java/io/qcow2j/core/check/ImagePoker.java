package io.qcow2j.core.check;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test helper that damages a qcow2 file in place the way the check tests need: raw header fields,
 * L1/L2 entries, refcounts of any width, by the spec's layout (independent of the code under
 * test). Offsets are file offsets; L2 entries are addressed by L1 index and entry index.
 */
public final class ImagePoker implements Closeable {
    /** Bits 9..55: host offset in L1/L2 entries. */
    public static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    public static final long COPIED = 1L << 63;
    public static final long COMPRESSED = 1L << 62;

    private final FileChannel ch;
    private final int clusterBits;
    private final int version;
    private final int refcountOrder;
    private final boolean extendedL2;

    private ImagePoker(FileChannel ch) throws IOException {
        this.ch = ch;
        this.version = (int) u32(4);
        this.clusterBits = (int) u32(20);
        this.refcountOrder = version == 3 ? (int) u32(96) : 4;
        this.extendedL2 = version == 3 && (u64(72) & (1L << 4)) != 0;
    }

    /** Opens {@code img} for reading and writing. */
    public static ImagePoker open(Path img) throws IOException {
        return new ImagePoker(FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    public int clusterBits() {
        return clusterBits;
    }

    public long clusterSize() {
        return 1L << clusterBits;
    }

    public int refcountOrder() {
        return refcountOrder;
    }

    public long l1Offset() throws IOException {
        return u64(40);
    }

    public long refcountTableOffset() throws IOException {
        return u64(48);
    }

    public long snapshotsOffset() throws IOException {
        return u64(64);
    }

    public long size() throws IOException {
        return ch.size();
    }

    public void truncate(long size) throws IOException {
        ch.truncate(size);
    }

    /** Makes the file {@code size} bytes long (sparse) by writing its last byte. */
    public void extendTo(long size) throws IOException {
        ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }

    public long u64(long pos) throws IOException {
        ByteBuffer b = read(pos, 8);
        return b.getLong(0);
    }

    public long u32(long pos) throws IOException {
        return read(pos, 4).getInt(0) & 0xffff_ffffL;
    }

    public void putU64(long pos, long v) throws IOException {
        write(pos, ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(0, v));
    }

    public void putU32(long pos, long v) throws IOException {
        write(pos, ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(0, (int) v));
    }

    public long l1Entry(int i) throws IOException {
        return u64(l1Offset() + 8L * i);
    }

    public void setL1Entry(int i, long v) throws IOException {
        putU64(l1Offset() + 8L * i, v);
    }

    /** File offset of entry {@code i} of the L2 table that L1 entry {@code l1Index} points to. */
    public long l2EntryPos(int l1Index, int i) throws IOException {
        long table = l1Entry(l1Index) & OFFSET_MASK;
        if (table == 0) {
            throw new IllegalStateException("L1 entry " + l1Index + " has no L2 table");
        }
        return table + (long) i * (extendedL2 ? 16 : 8);
    }

    public long l2Entry(int l1Index, int i) throws IOException {
        return u64(l2EntryPos(l1Index, i));
    }

    public void setL2Entry(int l1Index, int i, long v) throws IOException {
        putU64(l2EntryPos(l1Index, i), v);
    }

    /** The subcluster bitmap of an extended L2 entry. */
    public void setL2Bitmap(int l1Index, int i, long bitmap) throws IOException {
        putU64(l2EntryPos(l1Index, i) + 8, bitmap);
    }

    /** Host cluster index a standard L2 entry points to. */
    public long dataCluster(int l1Index, int i) throws IOException {
        return (l2Entry(l1Index, i) & OFFSET_MASK) >>> clusterBits;
    }

    /** Index of the first L2 entry of L1 entry 0 with bit 62 (compressed) set, or -1. */
    public int firstCompressedEntry() throws IOException {
        long n = clusterSize() / (extendedL2 ? 16 : 8);
        for (int i = 0; i < n; i++) {
            if ((l2Entry(0, i) & COMPRESSED) != 0) {
                return i;
            }
        }
        return -1;
    }

    /** File offset of the refcount block that covers {@code cluster}. */
    public long refcountBlock(long cluster) throws IOException {
        int blockBits = clusterBits + 3 - refcountOrder;
        long block = u64(refcountTableOffset() + 8 * (cluster >>> blockBits)) & ~0x1ffL;
        if (block == 0) {
            throw new IllegalStateException("no refcount block for cluster " + cluster);
        }
        return block;
    }

    public long refcount(long cluster) throws IOException {
        int bits = 1 << refcountOrder;
        long index = cluster & ((1L << (clusterBits + 3 - refcountOrder)) - 1);
        long block = refcountBlock(cluster);
        if (bits >= 8) {
            ByteBuffer b = read(block + index * bits / 8, bits / 8);
            long v = 0;
            for (int k = 0; k < bits / 8; k++) {
                v = (v << 8) | (b.get(k) & 0xff);
            }
            return v;
        }
        int perByte = 8 / bits;
        int b = read(block + index / perByte, 1).get(0) & 0xff;
        return (b >>> ((index % perByte) * bits)) & ((1 << bits) - 1);
    }

    /** Stores {@code value} as the refcount of {@code cluster} (qemu's layout for every width). */
    public void setRefcount(long cluster, long value) throws IOException {
        int bits = 1 << refcountOrder;
        long index = cluster & ((1L << (clusterBits + 3 - refcountOrder)) - 1);
        long block = refcountBlock(cluster);
        if (bits >= 8) {
            ByteBuffer b = ByteBuffer.allocate(bits / 8);
            for (int k = bits / 8 - 1; k >= 0; k--) {
                b.put(k, (byte) (value >>> (8 * (bits / 8 - 1 - k))));
            }
            write(block + index * bits / 8, b);
            return;
        }
        int perByte = 8 / bits;
        long pos = block + index / perByte;
        int shift = (int) (index % perByte) * bits;
        int mask = ((1 << bits) - 1) << shift;
        int b = read(pos, 1).get(0) & 0xff;
        b = (b & ~mask) | ((int) (value << shift) & mask);
        write(pos, ByteBuffer.wrap(new byte[] {(byte) b}));
    }

    private ByteBuffer read(long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.BIG_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("end of file at " + (pos + b.position()));
            }
        }
        return b;
    }

    private void write(long pos, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            ch.write(b, pos + b.position());
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
