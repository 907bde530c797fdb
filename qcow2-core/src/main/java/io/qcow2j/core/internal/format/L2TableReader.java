package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.ENTRY_BYTES;
import static io.qcow2j.core.internal.format.Layout.EXT_L2_BITMAP;
import static io.qcow2j.core.internal.format.Layout.L2_STANDARD_RESERVED;
import static io.qcow2j.core.internal.format.Layout.L2_ZERO;
import static io.qcow2j.core.internal.format.Layout.SECTOR;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.CompressedDescriptor;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;

/**
 * Reads the L2 tables of one image and validates every entry inside the disk: reserved bits,
 * alignment, data and compressed ranges inside the file and outside the header cluster, subcluster
 * bitmaps. Reads slices for {@link L2Cache} (under its lock) and whole tables, piece by piece, for
 * a validation pass with its own buffers.
 */
final class L2TableReader {
    /**
     * Longest read of an L2 table at once. Smaller than a default 64 KiB cluster on purpose: every
     * table of the 64 KiB-cluster images in the tests is validated in two chunks, so the chunked
     * path is the tested one.
     */
    static final int TABLE_READ_CHUNK = 32 << 10;
    /**
     * Read buffers, one per thread: direct, so a read costs no copy through a temporary buffer, and
     * not one per image, since direct memory goes back only when the collector finds a buffer
     * unreachable and a long chain would pile them up. A thread reads one table at a time.
     */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(TABLE_READ_CHUNK));
    /**
     * Longest read of an L2 table at once from a remote source ({@link ByteSource#preferredConcurrency()}
     * above 0), where every read is a request and a round trip: a whole table of a 64 KiB-cluster
     * image in one. On the heap: a remote read copies from the network anyway.
     */
    static final int REMOTE_TABLE_READ_CHUNK = 128 << 10;
    private static final ThreadLocal<ByteBuffer> REMOTE_READ_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocate(REMOTE_TABLE_READ_CHUNK));

    private final ByteSource source;
    private final boolean remote;
    private final String name;
    private final Header header;
    private final L1Table l1;
    private final long fileSize;
    private final int clusterBits;
    private final int l2Bits;
    private final int sliceBits;
    private final int subclusterBits;
    private final boolean extendedL2;
    /** Clusters that cover the disk: entries from here on are never read. */
    private final long clustersInDisk;
    /**
     * A table's bytes fetched ahead of a validation pass ({@link TablePrefetch}) and where they lie
     * in the file: reads inside them are served from memory. Set and cleared by the pass's thread.
     */
    private volatile Served served;

    /** {@code bytes} are the file's bytes at {@code position}. */
    private record Served(ByteBuffer bytes, long position) {
    }

    /** @param sliceBits log2 of the entries in one cached slice */
    L2TableReader(ByteSource source, Header header, L1Table l1, long fileSize, int sliceBits) {
        this.source = source;
        this.remote = source.preferredConcurrency() > 0;
        this.name = source.name();
        this.header = header;
        this.l1 = l1;
        this.fileSize = fileSize;
        this.clusterBits = header.clusterBits();
        this.l2Bits = header.l2Bits();
        this.sliceBits = sliceBits;
        this.extendedL2 = header.features().extendedL2();
        this.subclusterBits = ClusterMap.subclusterBits(header);
        this.clustersInDisk = (header.virtualSize() + header.clusterSize() - 1) >>> clusterBits;
    }

    /**
     * Reads and validates slice {@code key} (see {@link L2Cache}) for the cache, into the arrays of
     * the evicted slice {@code reuse} when there is one.
     */
    L2Slice load(long key, L2Slice reuse) throws IOException {
        int n = 1 << sliceBits;
        long[] entries = reuse != null ? reuse.entries() : new long[n];
        long[] bitmaps = !extendedL2 ? null : reuse != null ? reuse.bitmaps() : new long[n];
        int l1Index = (int) (key >>> (l2Bits - sliceBits));
        int first = (int) (key & ((1 << (l2Bits - sliceBits)) - 1)) << sliceBits;
        read(l1Index, first, n, readBuffer(n * header.l2EntryBytes()), entries, bitmaps);
        return new L2Slice(entries, bitmaps);
    }

    /**
     * This thread's read buffer, cut to {@code bytes} at most, and to a table and {@link #chunk()}.
     */
    ByteBuffer readBuffer(int bytes) {
        int n = (int) Math.min(Math.min(header.clusterSize(), bytes), chunk());
        ByteBuffer b = remote ? REMOTE_READ_BUFFER.get() : READ_BUFFER.get();
        return b.clear().limit(n).slice(); // a slice reads big-endian, as the format is
    }

    /** The longest read of a table: {@link #REMOTE_TABLE_READ_CHUNK} from a remote source. */
    int chunk() {
        return remote ? REMOTE_TABLE_READ_CHUNK : TABLE_READ_CHUNK;
    }

    /**
     * Validates every entry inside the disk of the table of L1 entry {@code l1Index}, one buffer's
     * worth at a time: {@code entries} (and {@code bitmaps}) need room for the entries one read
     * holds, not for the table, so a pass over a chain of 2 MiB-cluster images holds no table.
     */
    void validateTable(int l1Index, ByteBuffer buf, long[] entries, long[] bitmaps) throws IOException {
        int perRead = buf.capacity() / header.l2EntryBytes();
        long tableFirst = (long) l1Index << l2Bits;
        int inDisk = (int) Math.min(1L << l2Bits, clustersInDisk - tableFirst);
        for (int first = 0; first < inDisk; first += perRead) {
            read(l1Index, first, perRead, buf, entries, bitmaps);
        }
    }

    /**
     * Reads entries [{@code first}, {@code first + count}) of the table of L1 entry {@code l1Index}
     * into {@code entries} (and {@code bitmaps}) from index 0, validating those inside the disk. The
     * caller's buffers are reused from read to read: a pass over a large image's tables would
     * otherwise allocate arrays per table and keep the garbage collector busy before the first byte
     * is restored.
     */
    private void read(int l1Index, int first, int count, ByteBuffer buf, long[] entries, long[] bitmaps)
            throws IOException {
        int stride = header.l2EntryBytes();
        long start = l1.l2Offset(l1Index) + (long) first * stride;
        int bytes = count * stride;
        for (int at = 0; at < bytes; at += buf.capacity()) {
            buf.clear().limit(Math.min(buf.capacity(), bytes - at));
            if (!serve(buf, start + at)) {
                source.readFully(buf, start + at, "L2 table");
            }
            buf.flip();
            LongBuffer words = buf.asLongBuffer();
            if (extendedL2) {
                // reads hold whole (entry, bitmap) pairs: their length is a multiple of 16
                for (int w = 0, i = at / (2 * ENTRY_BYTES); w < words.limit(); w += 2, i++) {
                    entries[i] = words.get(w);
                    bitmaps[i] = words.get(w + 1);
                }
            } else {
                // one bulk byte-swapping copy instead of a bounds-checked getLong per entry
                words.get(entries, at / ENTRY_BYTES, words.limit());
            }
        }
        // entries past the virtual size are never read
        long firstCluster = ((long) l1Index << l2Bits) + first;
        int inDisk = (int) Math.max(0, Math.min(count, clustersInDisk - firstCluster));
        // unallocated entries need no check, and most entries of an incremental are unallocated: the
        // loop that skips them runs for every entry of every table of a chain, on a cold JVM, so it
        // is kept to a load and a compare (one loop per L2 format)
        if (extendedL2) {
            for (int i = 0; i < inDisk; i++) {
                long e = entries[i];
                long bm = bitmaps[i];
                if ((e | bm) != 0) {
                    validateEntry(e, bm, (firstCluster + i) << clusterBits, start + (long) i * stride);
                }
            }
        } else {
            for (int i = 0; i < inDisk; i++) {
                long e = entries[i];
                if (e != 0) {
                    validateEntry(e, 0, (firstCluster + i) << clusterBits, start + (long) i * stride);
                }
            }
        }
    }

    /**
     * Serves reads inside {@code bytes}, the file's bytes at {@code position}, from them until the
     * next call; null serves nothing.
     */
    void serveFrom(ByteBuffer bytes, long position) {
        served = bytes == null ? null : new Served(bytes, position);
    }

    /** Fills {@code dst} from the served bytes when they hold all it wants at {@code position}. */
    private boolean serve(ByteBuffer dst, long position) {
        Served s = served;
        long from = s == null ? -1 : position - s.position();
        if (from < 0 || from + dst.remaining() > s.bytes().limit()) {
            return false;
        }
        dst.put(s.bytes().duplicate().position((int) from).limit((int) from + dst.remaining()));
        return true;
    }

    private void validateEntry(long e, long bm, long guest, long pos) throws InvalidImageException {
        long cs = header.clusterSize();
        long visible = Math.min(cs, header.virtualSize() - guest); // bytes of this cluster inside the disk
        if (L2Entry.isCompressed(e)) {
            if (extendedL2 && bm != 0) {
                throw new InvalidImageException(name, "L2 table", pos, String.format(
                        "compressed cluster (guest offset %d) has a non-zero subcluster bitmap 0x%016x", guest, bm));
            }
            if (L2Entry.compressedOffsetTooLarge(e, clusterBits)) {
                throw new InvalidImageException(name, "L2 table", pos, String.format(
                        "compressed cluster (guest offset %d) has host offset bits above bit 55 (0x%016x)", guest, e));
            }
            CompressedDescriptor d = L2Entry.compressedDescriptor(e, clusterBits);
            // the descriptor rounds up to a 512-byte sector, which may overrun the file's last sector
            long roundedFile = (fileSize + SECTOR - 1) & ~(SECTOR - 1L);
            boolean endsPast = d.hostOffset() + d.length() > roundedFile;
            // a range starting past EOF can still end inside the rounded last sector: check both ends
            boolean startsPast = d.hostOffset() >= fileSize;
            if (d.hostOffset() < cs || endsPast || startsPast) {
                throw new InvalidImageException(name, "L2 table", pos, "compressed cluster (guest offset " + guest
                        + ") at host range " + d.hostOffset() + "+" + d.length()
                        + (d.hostOffset() < cs ? " lies inside the header cluster"
                                : (endsPast ? " ends" : " starts") + " past the end of the file (" + fileSize
                                        + " bytes; truncated image?)"));
            }
            return;
        }
        if ((e & L2_STANDARD_RESERVED) != 0) {
            throw new InvalidImageException(name, "L2 table", pos, String.format(
                    "L2 entry (guest offset %d) has reserved bits set (0x%016x)", guest, e));
        }
        if (!extendedL2 && header.version() == 2 && (e & L2_ZERO) != 0) {
            throw new InvalidImageException(name, "L2 table", pos,
                    "zero flag set in a version 2 image (guest offset " + guest + ")");
        }
        long off = L2Entry.hostOffset(e);
        if ((off & (cs - 1)) != 0) {
            throw new InvalidImageException(name, "L2 table", pos, "data cluster offset " + off
                    + " (guest offset " + guest + ") is not cluster aligned");
        }
        long needed;
        if (extendedL2) {
            int alloc = L2Entry.allocBits(bm);
            int zero = L2Entry.zeroBits(bm);
            if ((alloc & zero) != 0) {
                throw new InvalidImageException(name, "L2 table", pos + EXT_L2_BITMAP, String.format(
                        "subcluster bitmap 0x%016x marks subclusters both allocated and zero (guest offset %d)",
                        bm, guest));
            }
            if (alloc != 0 && off == 0) {
                throw new InvalidImageException(name, "L2 table", pos, "subclusters marked allocated but the "
                        + "cluster has no host offset (guest offset " + guest + ")");
            }
            int last = 31 - Integer.numberOfLeadingZeros(alloc);
            needed = alloc == 0 ? 0 : Math.min(visible, (long) (last + 1) << subclusterBits);
        } else {
            boolean zero = (e & L2_ZERO) != 0;
            needed = zero || off == 0 ? 0 : visible;
        }
        if (needed > 0 && off + needed > fileSize) {
            throw new InvalidImageException(name, "L2 table", pos, "data cluster at " + off + " (guest offset "
                    + guest + ") ends past the end of the file (" + fileSize + " bytes; truncated image?)");
        }
        if (needed > 0 && off < cs) {
            throw new InvalidImageException(name, "L2 table", pos, "data cluster (guest offset " + guest
                    + ") points into the header cluster");
        }
    }
}
