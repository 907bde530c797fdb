package io.qcow2j.core.testing;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.CompressedDescriptor;
import io.qcow2j.core.FeatureBits;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Byte-level edits of a qcow2 file in place, for tests that damage images: raw big-endian reads
 * and writes anywhere, and the spec's structures (L1 and L2 entries, subcluster bitmaps,
 * refcounts of any width, header extensions, snapshot entries) located for them.
 *
 * <p>Offsets and masks come from {@link io.qcow2j.core.internal.format.Layout}, the library's field table;
 * the parsing is this class's own, so an edit can produce anything, including what the reader
 * refuses. The header is read once, when the poker opens: edits do not move what it locates, and
 * the image must be sound enough to locate them (a valid image, or one damaged only where the
 * test looks next). File offsets throughout; L2 entries are addressed by L1 index and entry
 * index, or found with {@link #findL2Entry}.
 */
public final class ImagePoker implements Closeable {

    /**
     * One L2 entry, as it was when the poker opened.
     *
     * @param pos         file offset of the entry (its first, descriptor word)
     * @param guestOffset guest offset of the cluster it maps
     * @param entry       the 64-bit descriptor
     * @param bitmap      the subcluster bitmap (extended L2), else 0
     * @param extended    whether the image has extended L2 entries
     */
    public record L2Ref(long pos, long guestOffset, long entry, long bitmap, boolean extended) {
        public boolean compressed() {
            return (entry & L2_COMPRESSED) != 0;
        }

        /** The host cluster offset of a standard (not compressed) entry. */
        public long host() {
            return entry & L2_OFFSET_MASK;
        }

        /** A standard cluster stored at a host offset, reading (at least partly) as that data. */
        public boolean data() {
            if (compressed() || host() == 0) {
                return false;
            }
            return extended ? (int) bitmap != 0 : (entry & L2_ZERO) == 0;
        }

        /** File offset of the subcluster bitmap word. */
        public long bitmapPos() {
            if (!extended) {
                throw new IllegalStateException("not an extended L2 entry");
            }
            return pos + EXT_L2_BITMAP;
        }
    }

    private final Path path;
    private final FileChannel ch;
    private final long originalSize;
    private final int version;
    private final int clusterBits;
    private final long virtualSize;
    private final int l1Size;
    private final long l1TableOffset;
    private final long refcountTableOffset;
    private final long snapshotsOffset;
    private final long backingFileOffset;
    private final int refcountOrder;
    private final boolean extendedL2;
    /** File offset of each extension's type word, by type (the first of a type), in file order. */
    private final Map<Integer, Long> extensions = new LinkedHashMap<>();

    private ImagePoker(Path path, FileChannel ch) throws IOException {
        this.path = path;
        this.ch = ch;
        this.originalSize = ch.size();
        this.version = getInt(HDR_VERSION);
        this.clusterBits = getInt(HDR_CLUSTER_BITS);
        this.virtualSize = getLong(HDR_SIZE);
        this.l1Size = getInt(HDR_L1_SIZE);
        this.l1TableOffset = getLong(HDR_L1_TABLE_OFFSET);
        this.refcountTableOffset = getLong(HDR_REFCOUNT_TABLE_OFFSET);
        this.snapshotsOffset = getLong(HDR_SNAPSHOTS_OFFSET);
        this.backingFileOffset = getLong(HDR_BACKING_FILE_OFFSET);
        boolean v3 = version >= 3;
        this.refcountOrder = v3 ? getInt(HDR_REFCOUNT_ORDER) : V2_REFCOUNT_ORDER;
        this.extendedL2 = v3 && (getLong(HDR_INCOMPATIBLE_FEATURES) & 1L << FeatureBits.INCOMPAT_EXTENDED_L2) != 0;
        readExtensions(v3 ? getInt(HDR_HEADER_LENGTH) : V2_HEADER_LENGTH);
    }

    /** Opens {@code image} for reading and writing. */
    public static ImagePoker open(Path image) throws IOException {
        FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new ImagePoker(image, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Extensions run from the end of the header to the end marker, inside the first cluster. */
    private void readExtensions(long headerLength) throws IOException {
        long limit = Math.min(originalSize, backingFileOffset != 0 ? backingFileOffset : clusterSize());
        long pos = headerLength;
        while (pos + EXT_HEADER_LENGTH <= limit) {
            int type = getInt(pos + EXT_TYPE);
            if (type == EXT_END) {
                return;
            }
            extensions.putIfAbsent(type, pos);
            long length = Integer.toUnsignedLong(getInt(pos + EXT_DATA_LENGTH));
            pos += EXT_HEADER_LENGTH + ((length + 7) & ~7L);
        }
    }

    public Path path() {
        return path;
    }

    // --- the header as it was when the poker opened -----------------------------------------------

    public int version() {
        return version;
    }

    public int clusterBits() {
        return clusterBits;
    }

    public long clusterSize() {
        return 1L << clusterBits;
    }

    public long virtualSize() {
        return virtualSize;
    }

    public int l1Size() {
        return l1Size;
    }

    public long l1TableOffset() {
        return l1TableOffset;
    }

    public long refcountTableOffset() {
        return refcountTableOffset;
    }

    public long snapshotsOffset() {
        return snapshotsOffset;
    }

    public long backingFileOffset() {
        return backingFileOffset;
    }

    public int refcountOrder() {
        return refcountOrder;
    }

    public boolean extendedL2() {
        return extendedL2;
    }

    /** File size when the poker opened. */
    public long originalSize() {
        return originalSize;
    }

    /** The first cluster-aligned offset at or after the end of the file as it was opened. */
    public long alignedEnd() {
        long cs = clusterSize();
        return (originalSize + cs - 1) / cs * cs;
    }

    // --- raw access -------------------------------------------------------------------------------

    /** The file's size now. */
    public long fileSize() throws IOException {
        return ch.size();
    }

    public byte getByte(long off) throws IOException {
        return read(off, 1).get(0);
    }

    public short getShort(long off) throws IOException {
        return read(off, 2).getShort(0);
    }

    public int getInt(long off) throws IOException {
        return read(off, 4).getInt(0);
    }

    public long getLong(long off) throws IOException {
        return read(off, 8).getLong(0);
    }

    public byte[] getBytes(long off, int len) throws IOException {
        return read(off, len).array();
    }

    public void putByte(long off, int v) throws IOException {
        write(off, ByteBuffer.allocate(1).put(0, (byte) v));
    }

    public void putInt(long off, int v) throws IOException {
        write(off, ByteBuffer.allocate(4).putInt(0, v));
    }

    public void putLong(long off, long v) throws IOException {
        write(off, ByteBuffer.allocate(8).putLong(0, v));
    }

    public void putBytes(long off, byte[] bytes) throws IOException {
        write(off, ByteBuffer.wrap(bytes));
    }

    /** Sets {@code bits} in the 64-bit word at {@code off}. */
    public void orLong(long off, long bits) throws IOException {
        putLong(off, getLong(off) | bits);
    }

    /** Clears {@code bits} in the 64-bit word at {@code off}. */
    public void clearLong(long off, long bits) throws IOException {
        putLong(off, getLong(off) & ~bits);
    }

    /** Cuts the file to {@code size} bytes; fails unless that shortens it, so no cut is silently lost. */
    public void truncate(long size) throws IOException {
        if (size >= ch.size()) {
            throw new IllegalArgumentException("truncate to " + size + " does not shorten a " + ch.size()
                    + "-byte file");
        }
        ch.truncate(size);
    }

    /** Makes the file {@code size} bytes long (sparse) by writing its last byte; fails unless that lengthens it. */
    public void extendTo(long size) throws IOException {
        if (size <= ch.size()) {
            throw new IllegalArgumentException("extend to " + size + " does not lengthen a " + ch.size()
                    + "-byte file");
        }
        write(size - 1, ByteBuffer.allocate(1));
    }

    private ByteBuffer read(long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.BIG_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, off + b.position()) < 0) {
                throw new IOException(path + ": read past the end at " + (off + b.position()));
            }
        }
        return b;
    }

    private void write(long off, ByteBuffer b) throws IOException {
        b.position(0);
        while (b.hasRemaining()) {
            ch.write(b, off + b.position());
        }
    }

    // --- L1 and L2 tables -------------------------------------------------------------------------

    /** File offset of L1 entry {@code i}. */
    public long l1EntryPos(int i) {
        return l1TableOffset + (long) ENTRY_BYTES * i;
    }

    public long l1Entry(int i) throws IOException {
        return getLong(l1EntryPos(i));
    }

    public void setL1Entry(int i, long v) throws IOException {
        putLong(l1EntryPos(i), v);
    }

    /** Index of the first L1 entry that points to an L2 table. */
    public int firstAllocatedL1() throws IOException {
        for (int i = 0; i < l1Size; i++) {
            if ((l1Entry(i) & L1_OFFSET_MASK) != 0) {
                return i;
            }
        }
        throw new IllegalStateException(path + " has no L2 table");
    }

    /** Host offsets of every L2 table, in L1 order. */
    public List<Long> l2Tables() throws IOException {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < l1Size; i++) {
            long off = l1Entry(i) & L1_OFFSET_MASK;
            if (off != 0) {
                out.add(off);
            }
        }
        return out;
    }

    /** Bytes of an L2 entry: the descriptor, and with extended L2 entries the subcluster bitmap. */
    public int l2EntryBytes() {
        return extendedL2 ? ENTRY_BYTES + EXT_L2_BITMAP : ENTRY_BYTES;
    }

    /** File offset of entry {@code i} of the L2 table that L1 entry {@code l1Index} points to. */
    public long l2EntryPos(int l1Index, int i) throws IOException {
        long table = l1Entry(l1Index) & L1_OFFSET_MASK;
        if (table == 0) {
            throw new IllegalStateException(path + ": L1 entry " + l1Index + " has no L2 table");
        }
        return table + (long) i * l2EntryBytes();
    }

    /** The descriptor word of an L2 entry. */
    public long l2Entry(int l1Index, int i) throws IOException {
        return getLong(l2EntryPos(l1Index, i));
    }

    public void setL2Entry(int l1Index, int i, long v) throws IOException {
        putLong(l2EntryPos(l1Index, i), v);
    }

    /** Sets the subcluster bitmap of an extended L2 entry. */
    public void setL2Bitmap(int l1Index, int i, long bitmap) throws IOException {
        if (!extendedL2) {
            throw new IllegalStateException(path + " has no extended L2 entries");
        }
        putLong(l2EntryPos(l1Index, i) + EXT_L2_BITMAP, bitmap);
    }

    /** Host cluster index a standard L2 entry points to. */
    public long dataCluster(int l1Index, int i) throws IOException {
        return (l2Entry(l1Index, i) & L2_OFFSET_MASK) >>> clusterBits;
    }

    /** Every L2 entry mapping a cluster inside the virtual size, in guest order. */
    public List<L2Ref> l2Entries() throws IOException {
        List<L2Ref> out = new ArrayList<>();
        int stride = l2EntryBytes();
        int perTable = (int) (clusterSize() / stride);
        for (int i = 0; i < l1Size; i++) {
            long table = l1Entry(i) & L1_OFFSET_MASK;
            if (table == 0) {
                continue;
            }
            ByteBuffer b = read(table, (int) clusterSize());
            for (int j = 0; j < perTable; j++) {
                long guest = ((long) i * perTable + j) << clusterBits;
                if (guest >= virtualSize) {
                    break;
                }
                long e = b.getLong(j * stride);
                long bm = extendedL2 ? b.getLong(j * stride + EXT_L2_BITMAP) : 0;
                out.add(new L2Ref(table + (long) j * stride, guest, e, bm, extendedL2));
            }
        }
        return out;
    }

    /** The first L2 entry, in guest order, matching {@code p}; fails, naming {@code what}, if none does. */
    public L2Ref findL2Entry(String what, Predicate<L2Ref> p) throws IOException {
        return l2Entries().stream().filter(p).findFirst()
                .orElseThrow(() -> new IllegalStateException(path + " has no L2 entry: " + what));
    }

    /**
     * Where the compressed bytes of a compressed L2 entry are (spec: host offset below bit
     * {@code x = 62 - (cluster_bits - 8)}, additional sectors from bit x).
     */
    public CompressedDescriptor descriptor(long entry) {
        int x = compressedOffsetBits(clusterBits);
        long offset = entry & ((1L << x) - 1);
        long sectors = ((entry >>> x) & ((1L << (62 - x)) - 1)) + 1;
        return new CompressedDescriptor(offset, (int) (sectors * SECTOR - (offset & (SECTOR - 1))));
    }

    /** The highest host offset used by any L2 table, data or compressed cluster. */
    public long lastHostStructure() throws IOException {
        long last = l2Tables().stream().max(Comparator.naturalOrder()).orElse(0L);
        for (L2Ref r : l2Entries()) {
            if (r.compressed()) {
                last = Math.max(last, descriptor(r.entry()).hostOffset());
            } else if (r.host() != 0) {
                last = Math.max(last, r.host());
            }
        }
        return last;
    }

    // --- refcounts --------------------------------------------------------------------------------

    /** The refcount table's entry {@code i} (a refcount block offset, or 0). */
    public long refcountTableEntry(int i) throws IOException {
        return getLong(refcountTableOffset + (long) ENTRY_BYTES * i);
    }

    /** File offset of the refcount block that covers host cluster {@code cluster}. */
    public long refcountBlock(long cluster) throws IOException {
        long block = refcountTableEntry((int) (cluster >>> refcountBlockBits())) & REFTABLE_OFFSET_MASK;
        if (block == 0) {
            throw new IllegalStateException(path + ": no refcount block for cluster " + cluster);
        }
        return block;
    }

    /** log2 of the refcounts one block holds. */
    private int refcountBlockBits() {
        return clusterBits + 3 - refcountOrder;
    }

    public long refcount(long cluster) throws IOException {
        int bits = 1 << refcountOrder;
        long index = cluster & ((1L << refcountBlockBits()) - 1);
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
        int b = getByte(block + index / perByte) & 0xff;
        return (b >>> ((index % perByte) * bits)) & ((1 << bits) - 1);
    }

    /** Stores {@code value} as the refcount of {@code cluster} (qemu's layout for every width). */
    public void setRefcount(long cluster, long value) throws IOException {
        int bits = 1 << refcountOrder;
        long index = cluster & ((1L << refcountBlockBits()) - 1);
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
        int b = getByte(pos) & 0xff;
        putByte(pos, (b & ~mask) | ((int) (value << shift) & mask));
    }

    // --- header extensions and snapshots ----------------------------------------------------------

    /** File offset of the header (type word) of the first extension of {@code type}. */
    public long extensionPos(int type) {
        Long pos = extensions.get(type);
        if (pos == null) {
            throw new IllegalStateException(String.format("%s has no header extension 0x%08x", path, type));
        }
        return pos;
    }

    /** File offset of snapshot table entry {@code n}, walking the 8-byte aligned entries. */
    public long snapshotPos(int n) throws IOException {
        long off = snapshotsOffset;
        for (int i = 0; i < n; i++) {
            long extra = Integer.toUnsignedLong(getInt(off + SNAPSHOT_EXTRA_DATA_SIZE));
            long idAndName = Short.toUnsignedInt(getShort(off + SNAPSHOT_ID_STR_SIZE))
                    + Short.toUnsignedInt(getShort(off + SNAPSHOT_NAME_SIZE));
            long end = off + SNAPSHOT_HEADER_LENGTH + extra + idAndName;
            off = (end + SNAPSHOT_ALIGNMENT - 1) & -SNAPSHOT_ALIGNMENT;
        }
        return off;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
