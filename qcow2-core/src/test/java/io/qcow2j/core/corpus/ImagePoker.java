package io.qcow2j.core.corpus;

import io.qcow2j.core.CompressedDescriptor;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.HeaderExtension;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.format.HeaderParser;
import io.qcow2j.core.format.L2Entry;
import io.qcow2j.core.format.Layout;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Byte-level edits of a valid qcow2 file, for building malformed images. Structures are located
 * once, before any edit, with the reader's own {@link Header} (the unmutated image is valid, and
 * the conformance tests vouch for the header decoding) and raw big-endian reads of the tables;
 * edits are raw writes, so a mutation can produce anything, including what {@link HeaderParser} refuses.
 */
public final class ImagePoker implements Closeable {

    /** Byte offsets of the header fields (specification, "Header"). */
    public static final int MAGIC = 0, VERSION = 4, BACKING_FILE_OFFSET = 8, BACKING_FILE_SIZE = 16,
            CLUSTER_BITS = 20, SIZE = 24, CRYPT_METHOD = 32, L1_SIZE = 36, L1_TABLE_OFFSET = 40,
            REFCOUNT_TABLE_OFFSET = 48, REFCOUNT_TABLE_CLUSTERS = 56, NB_SNAPSHOTS = 60, SNAPSHOTS_OFFSET = 64,
            INCOMPATIBLE_FEATURES = 72, COMPATIBLE_FEATURES = 80, AUTOCLEAR_FEATURES = 88, REFCOUNT_ORDER = 96,
            HEADER_LENGTH = 100, COMPRESSION_TYPE = 104;

    /**
     * One L2 entry of the unmutated image.
     *
     * @param pos         file offset of the entry (its first, descriptor word)
     * @param guestOffset guest offset of the cluster it maps
     * @param entry       the 64-bit descriptor
     * @param bitmap      the subcluster bitmap (extended L2), else 0
     */
    public record L2Ref(long pos, long guestOffset, long entry, long bitmap, boolean extended) {
        public boolean compressed() {
            return L2Entry.isCompressed(entry);
        }

        /** A standard cluster stored at a host offset, reading (at least partly) as that data. */
        public boolean data() {
            if (compressed() || L2Entry.hostOffset(entry) == 0) {
                return false;
            }
            return extended ? L2Entry.allocBits(bitmap) != 0 : (entry & Layout.L2_ZERO) == 0;
        }

        public long host() {
            return L2Entry.hostOffset(entry);
        }

        /** File offset of the subcluster bitmap word. */
        public long bitmapPos() {
            if (!extended) {
                throw new IllegalStateException("not an extended L2 entry");
            }
            return pos + 8;
        }
    }

    private final Path path;
    private final FileChannel ch;
    private final Header header;
    private final long originalSize;
    private OptionalLong expectedGuestOffset = OptionalLong.empty();

    private ImagePoker(Path path, FileChannel ch, Header header, long size) {
        this.path = path;
        this.ch = ch;
        this.header = header;
        this.originalSize = size;
    }

    /** Opens {@code image} for editing; it must be a valid image (it is parsed first). */
    public static ImagePoker open(Path image) throws IOException {
        Header h;
        try (FileByteSource src = FileByteSource.open(image)) {
            h = HeaderParser.read(src, OpenOptions.defaults());
        }
        FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new ImagePoker(image, ch, h, ch.size());
    }

    public Path path() {
        return path;
    }

    /** The header as it was before any edit. */
    public Header header() {
        return header;
    }

    public long clusterSize() {
        return header.clusterSize();
    }

    /** File size before any edit. */
    public long originalSize() {
        return originalSize;
    }

    /** The first cluster-aligned offset at or after the end of the unmutated file. */
    public long alignedEnd() {
        long cs = clusterSize();
        return (originalSize + cs - 1) / cs * cs;
    }

    /**
     * Records the guest offset the expected error must name (a compressed cluster that does not
     * inflate); see {@link MalformedCase.Prepared#guestOffset()}.
     */
    public void expectGuestOffset(long guestOffset) {
        expectedGuestOffset = OptionalLong.of(guestOffset);
    }

    OptionalLong expectedGuestOffset() {
        return expectedGuestOffset;
    }

    // --- raw access -----------------------------------------------------------------------------

    public byte getByte(long off) throws IOException {
        return read(off, 1).get(0);
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

    /** Cuts the file to {@code size} bytes. */
    public void truncate(long size) throws IOException {
        if (size >= ch.size()) {
            throw new IllegalArgumentException("truncate to " + size + " does not shorten a " + ch.size() + "-byte file");
        }
        ch.truncate(size);
    }

    private ByteBuffer read(long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.BIG_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, off + b.position()) < 0) {
                throw new IOException(path + ": read past the end at " + off);
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

    // --- structures of the unmutated image ------------------------------------------------------

    /** File offset of L1 entry {@code i}. */
    public long l1EntryPos(int i) {
        return header.l1TableOffset() + 8L * i;
    }

    /** Index of the first L1 entry that points to an L2 table. */
    public int firstAllocatedL1() throws IOException {
        for (int i = 0; i < header.l1Size(); i++) {
            if ((getLong(l1EntryPos(i)) & Layout.L1_OFFSET_MASK) != 0) {
                return i;
            }
        }
        throw new IllegalStateException(path + " has no L2 table");
    }

    /** Host offsets of every L2 table, in L1 order. */
    public List<Long> l2Tables() throws IOException {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < header.l1Size(); i++) {
            long off = getLong(l1EntryPos(i)) & Layout.L1_OFFSET_MASK;
            if (off != 0) {
                out.add(off);
            }
        }
        return out;
    }

    /** Every L2 entry mapping a cluster inside the virtual size, in guest order. */
    public List<L2Ref> l2Entries() throws IOException {
        List<L2Ref> out = new ArrayList<>();
        boolean ext = header.features().extendedL2();
        int stride = header.l2EntryBytes();
        int perTable = 1 << header.l2Bits();
        long cs = clusterSize();
        for (int i = 0; i < header.l1Size(); i++) {
            long table = getLong(l1EntryPos(i)) & Layout.L1_OFFSET_MASK;
            if (table == 0) {
                continue;
            }
            ByteBuffer b = read(table, (int) cs);
            for (int j = 0; j < perTable; j++) {
                long guest = ((long) i * perTable + j) * cs;
                if (guest >= header.size()) {
                    break;
                }
                long e = b.getLong(j * stride);
                long bm = ext ? b.getLong(j * stride + 8) : 0;
                out.add(new L2Ref(table + (long) j * stride, guest, e, bm, ext));
            }
        }
        return out;
    }

    /** The first L2 entry matching {@code p}; fails if the base image has none. */
    public L2Ref l2Entry(String what, Predicate<L2Ref> p) throws IOException {
        return l2Entries().stream().filter(p).findFirst()
                .orElseThrow(() -> new IllegalStateException(path + " has no L2 entry: " + what));
    }

    /** The decoded descriptor of a compressed entry. */
    public CompressedDescriptor descriptor(L2Ref r) {
        return L2Entry.compressedDescriptor(r.entry(), header.clusterBits());
    }

    /** The highest host offset used by any L2 table, data or compressed cluster. */
    public long lastHostStructure() throws IOException {
        long last = l2Tables().stream().max(Comparator.naturalOrder()).orElse(0L);
        for (L2Ref r : l2Entries()) {
            if (r.compressed()) {
                last = Math.max(last, descriptor(r).hostOffset());
            } else if (r.host() != 0) {
                last = Math.max(last, r.host());
            }
        }
        return last;
    }

    /** File offset of the header (type word) of the first extension of {@code type}. */
    public long extensionPos(int type) {
        return header.extensions().stream().filter(e -> e.type() == type).findFirst()
                .map(e -> e.dataOffset() - 8)
                .orElseThrow(() -> new IllegalStateException(path + " has no header extension "
                        + new HeaderExtension(type, 0, 0).typeName()));
    }

    /** The refcount table's entry {@code i} (a refcount block offset, or 0). */
    public long refcountTableEntry(int i) throws IOException {
        return getLong(header.refcountTableOffset() + 8L * i);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
