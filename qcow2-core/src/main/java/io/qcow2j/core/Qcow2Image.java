package io.qcow2j.core;

import static io.qcow2j.core.format.Layout.*;

import io.qcow2j.core.compress.ZstdDecompressor;
import io.qcow2j.core.format.HeaderParser;
import io.qcow2j.core.format.L1Table;
import io.qcow2j.core.format.L2Entry;
import io.qcow2j.core.format.RefcountTable;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One open, validated qcow2 image: header, L1 table and refcount table checked at open, L2 tables
 * loaded lazily through a bounded cache and checked as they are loaded. Callers see guest
 * {@link Extent}s, never L2 tables. Thread-safe for concurrent extent queries and reads.
 */
public final class Qcow2Image implements Closeable {
    private final ByteSource source;
    private final Header header;
    private final L1Table l1;
    private final L2Cache cache;
    private final int clusterBits;
    private final int l2Bits;
    private final int subclusterBits;
    private final boolean extendedL2;
    private final long fileSize;
    private final long cacheBudget;
    /**
     * Longest read of an L2 table at once. Smaller than a default 64 KiB cluster on purpose: every
     * table of the 64 KiB-cluster images in the tests is read in two chunks, so the chunked path is
     * the tested one.
     */
    private static final int TABLE_READ_CHUNK = 32 << 10;
    /** The cache loader's read buffer: allocated on the first miss, used only under the cache's lock. */
    private ByteBuffer cacheReadBuffer;

    private Qcow2Image(ByteSource source, Header header, L1Table l1, OpenOptions options, long fileSize) {
        this.source = source;
        this.header = header;
        this.l1 = l1;
        this.clusterBits = header.clusterBits();
        this.l2Bits = header.l2Bits();
        this.extendedL2 = header.features().extendedL2();
        this.subclusterBits = extendedL2 ? clusterBits - SUBCLUSTER_BITS : clusterBits;
        this.fileSize = fileSize;
        this.cacheBudget = options.l2CacheBytes();
        this.cache = new L2Cache(options.l2CacheBytes(), this::loadL2);
    }

    /** Opens a local file with default options. */
    public static Qcow2Image open(Path path) throws IOException {
        return open(path, OpenOptions.defaults());
    }

    /** Opens a local file. */
    public static Qcow2Image open(Path path, OpenOptions options) throws IOException {
        return open(FileByteSource.open(path), options);
    }

    /**
     * Opens an image from any byte source; the image owns the source and closes it.
     *
     * @throws InvalidImageException when the header, L1 table or refcount table is invalid (the
     *         source is closed then)
     */
    public static Qcow2Image open(ByteSource source, OpenOptions options) throws IOException {
        try {
            Header h = HeaderParser.read(source, options);
            long fileSize = source.size();
            RefcountTable refcounts = RefcountTable.read(source, h, fileSize);
            L1Table l1 = L1Table.read(source, h, refcounts, fileSize);
            return new Qcow2Image(source, h, l1, options, fileSize);
        } catch (IOException | RuntimeException e) {
            try {
                source.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Reads and validates the L2 table of L1 entry {@code l1Index} for the cache, into the arrays of
     * the evicted table {@code reuse} when there is one. Runs under the cache's lock, which is what
     * makes sharing {@link #cacheReadBuffer} safe.
     */
    private L2Table loadL2(int l1Index, L2Table reuse) throws IOException {
        int n = 1 << l2Bits;
        long[] entries = reuse != null ? reuse.entries() : new long[n];
        long[] bitmaps = !extendedL2 ? null : reuse != null ? reuse.bitmaps() : new long[n];
        if (cacheReadBuffer == null) {
            cacheReadBuffer = newTableBuffer();
        }
        readL2(l1Index, cacheReadBuffer, entries, bitmaps);
        return new L2Table(l1.l2Offset(l1Index), entries, bitmaps);
    }

    /**
     * A read buffer for L2 tables: direct, so a read costs no copy through a temporary buffer, and
     * at most {@link #TABLE_READ_CHUNK} long, so a chain of many 2 MiB-cluster images does not hold
     * a table's worth of native memory per image.
     */
    private ByteBuffer newTableBuffer() {
        int n = (int) Math.min(header.clusterSize(), TABLE_READ_CHUNK);
        return ByteBuffer.allocateDirect(n).order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Reads the L2 table of L1 entry {@code l1Index} into {@code entries} (and {@code bitmaps}),
     * validating every entry inside the disk. The caller's buffers are reused from table to table:
     * a pass over a large image's tables would otherwise allocate two table-sized arrays per table
     * and keep the garbage collector busy before the first byte is restored.
     */
    private void readL2(int l1Index, ByteBuffer buf, long[] entries, long[] bitmaps) throws IOException {
        long off = l1.l2Offset(l1Index);
        int n = 1 << l2Bits;
        int tableBytes = (int) header.clusterSize();
        for (int at = 0; at < tableBytes; at += buf.capacity()) {
            buf.clear().limit(Math.min(buf.capacity(), tableBytes - at));
            source.readFully(buf, off + at, "L2 table");
            buf.flip();
            java.nio.LongBuffer words = buf.asLongBuffer();
            if (extendedL2) {
                // chunks hold whole (entry, bitmap) pairs: their length is a multiple of 16
                for (int w = 0, i = at / (2 * ENTRY_BYTES); w < words.limit(); w += 2, i++) {
                    entries[i] = words.get(w);
                    bitmaps[i] = words.get(w + 1);
                }
            } else {
                // one bulk byte-swapping copy instead of a bounds-checked getLong per entry
                words.get(entries, at / ENTRY_BYTES, words.limit());
            }
        }
        int stride = header.l2EntryBytes();
        long size = header.size();
        // entries past the virtual size are never read
        long tableStart = (long) l1Index << (l2Bits + clusterBits);
        long inDisk = Math.min(n, (Math.max(0, size - tableStart) + header.clusterSize() - 1) >>> clusterBits);
        // unallocated entries need no check, and most entries of an incremental are unallocated: the
        // loop that skips them runs for every entry of every table of a chain, on a cold JVM, so it
        // is kept to a load and a compare (one loop per L2 format)
        long guestBase = (long) l1Index << l2Bits;
        if (extendedL2) {
            for (int i = 0; i < inDisk; i++) {
                long e = entries[i];
                long bm = bitmaps[i];
                if ((e | bm) != 0) {
                    validateEntry(e, bm, (guestBase | i) << clusterBits, off + (long) i * stride);
                }
            }
        } else {
            for (int i = 0; i < inDisk; i++) {
                long e = entries[i];
                if (e != 0) {
                    validateEntry(e, 0, (guestBase | i) << clusterBits, off + (long) i * stride);
                }
            }
        }
    }

    private void validateEntry(long e, long bm, long guest, long pos) throws InvalidImageException {
        long cs = header.clusterSize();
        long visible = Math.min(cs, header.size() - guest); // bytes of this cluster inside the disk
        if (L2Entry.isCompressed(e)) {
            if (extendedL2 && bm != 0) {
                throw new InvalidImageException(name(), "L2 table", pos, String.format(
                        "compressed cluster (guest offset %d) has a non-zero subcluster bitmap 0x%016x", guest, bm));
            }
            if (L2Entry.compressedOffsetTooLarge(e, clusterBits)) {
                throw new InvalidImageException(name(), "L2 table", pos, String.format(
                        "compressed cluster (guest offset %d) has host offset bits above bit 55 (0x%016x)", guest, e));
            }
            CompressedDescriptor d = L2Entry.compressedDescriptor(e, clusterBits);
            // the descriptor rounds up to a 512-byte sector, which may overrun the file's last sector
            long roundedFile = (fileSize + SECTOR - 1) & ~(SECTOR - 1L);
            boolean endsPast = d.hostOffset() + d.length() > roundedFile;
            // a range starting past EOF can still end inside the rounded last sector: check both ends
            boolean startsPast = d.hostOffset() >= fileSize;
            if (d.hostOffset() < cs || endsPast || startsPast) {
                throw new InvalidImageException(name(), "L2 table", pos, "compressed cluster (guest offset " + guest
                        + ") at host range " + d.hostOffset() + "+" + d.length()
                        + (d.hostOffset() < cs ? " lies inside the header cluster"
                                : (endsPast ? " ends" : " starts") + " past the end of the file (" + fileSize
                                        + " bytes; truncated image?)"));
            }
            return;
        }
        if ((e & L2_STANDARD_RESERVED) != 0) {
            throw new InvalidImageException(name(), "L2 table", pos, String.format(
                    "L2 entry (guest offset %d) has reserved bits set (0x%016x)", guest, e));
        }
        if (!extendedL2 && header.version() == 2 && (e & L2_ZERO) != 0) {
            throw new InvalidImageException(name(), "L2 table", pos,
                    "zero flag set in a version 2 image (guest offset " + guest + ")");
        }
        long off = L2Entry.hostOffset(e);
        if ((off & (cs - 1)) != 0) {
            throw new InvalidImageException(name(), "L2 table", pos, "data cluster offset " + off
                    + " (guest offset " + guest + ") is not cluster aligned");
        }
        long needed;
        if (extendedL2) {
            int alloc = L2Entry.allocBits(bm);
            int zero = L2Entry.zeroBits(bm);
            if ((alloc & zero) != 0) {
                throw new InvalidImageException(name(), "L2 table", pos + EXT_L2_BITMAP, String.format(
                        "subcluster bitmap 0x%016x marks subclusters both allocated and zero (guest offset %d)",
                        bm, guest));
            }
            if (alloc != 0 && off == 0) {
                throw new InvalidImageException(name(), "L2 table", pos, "subclusters marked allocated but the "
                        + "cluster has no host offset (guest offset " + guest + ")");
            }
            int last = 31 - Integer.numberOfLeadingZeros(alloc);
            needed = alloc == 0 ? 0 : Math.min(visible, (long) (last + 1) << subclusterBits);
        } else {
            boolean zero = (e & L2_ZERO) != 0;
            needed = zero || off == 0 ? 0 : visible;
        }
        if (needed > 0 && off + needed > fileSize) {
            throw new InvalidImageException(name(), "L2 table", pos, "data cluster at " + off + " (guest offset "
                    + guest + ") ends past the end of the file (" + fileSize + " bytes; truncated image?)");
        }
        if (needed > 0 && off < cs) {
            throw new InvalidImageException(name(), "L2 table", pos, "data cluster (guest offset " + guest
                    + ") points into the header cluster");
        }
    }

    /** The file (or object) name, for messages. */
    public String name() {
        return source.name();
    }

    public Header header() {
        return header;
    }

    public ByteSource source() {
        return source;
    }

    /** The virtual disk size in bytes. */
    public long virtualSize() {
        return header.size();
    }

    public long clusterSize() {
        return header.clusterSize();
    }

    /** The smallest unit with its own state: the subcluster with extended L2, else the cluster. */
    public long granularity() {
        return 1L << subclusterBits;
    }

    /** File size as seen at open. */
    public long fileSize() {
        return fileSize;
    }

    /** Number of L1 entries that point to an L2 table. */
    public int allocatedL2Tables() {
        return l1.allocatedTables();
    }

    /**
     * Loads and validates every L2 table once (without filling the cache), so a restore can refuse
     * a bad image before it writes anything. Cost: one read of all L2 metadata.
     */
    public void validateAllTables() throws IOException {
        // when every table fits the cache, keep them: the restore's composition reads them next
        boolean keep = (long) allocatedL2Tables() * header.clusterSize() <= cacheBudget;
        ByteBuffer buf = keep ? null : newTableBuffer();
        long[] entries = keep ? null : new long[1 << l2Bits];
        long[] bitmaps = keep || !extendedL2 ? null : new long[1 << l2Bits];
        for (int i = 0; i < l1.size(); i++) {
            if (l1.l2Offset(i) != 0 && ((long) i << (l2Bits + clusterBits)) < header.size()) {
                if (keep) {
                    cache.load(i);
                } else {
                    readL2(i, buf, entries, bitmaps);
                }
            }
        }
    }

    /**
     * The extents of guest range [{@code offset}, {@code offset + length}) clamped to the virtual
     * size, in order, with neighbours of the same kind merged (DATA only when host-contiguous).
     */
    public List<Extent> extents(long offset, long length) throws IOException {
        List<Extent> out = new ArrayList<>();
        extents(offset, length, out);
        return out;
    }

    /** As {@link #extents(long, long)}, appending to {@code out} (merging with its last element). */
    public void extents(long offset, long length, List<Extent> out) throws IOException {
        walk(offset, length, out, false);
    }

    /**
     * Extents merged the way {@code qemu-img map} merges them: zero and unallocated extents keep the
     * host offset of a preallocated cluster and merge only when those offsets are contiguous, and
     * neighbouring compressed clusters merge (their host offsets are not reported).
     */
    public List<Extent> mapExtents(long offset, long length) throws IOException {
        List<Extent> out = new ArrayList<>();
        walk(offset, length, out, true);
        return out;
    }

    private void walk(long offset, long length, List<Extent> out, boolean exact) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range");
        }
        long end = Math.min(header.size(), offset + length);
        long pos = offset;
        int l2Span = l2Bits + clusterBits;
        while (pos < end) {
            int l1i = (int) (pos >>> l2Span);
            long tableEnd = Math.min(end, (long) (l1i + 1) << l2Span);
            if (l1i >= l1.size() || l1.l2Offset(l1i) == 0) {
                add(out, Extent.unallocated(pos, tableEnd - pos), exact);
                pos = tableEnd;
                continue;
            }
            long from = pos;
            pos = cache.read(l1i, t -> walkTable(t, out, from, tableEnd, exact));
        }
    }

    /** Adds the extents of [{@code pos}, {@code tableEnd}), all inside table {@code t}; returns the end. */
    private long walkTable(L2Table t, List<Extent> out, long pos, long tableEnd, boolean exact) {
        long cs = header.clusterSize();
        long[] entries = t.entries();
        while (pos < tableEnd) {
            int idx = (int) ((pos >>> clusterBits) & ((1 << l2Bits) - 1));
            long clusterStart = pos & ~(cs - 1);
            long clusterEnd = Math.min(clusterStart + cs, tableEnd);
            long e = entries[idx];
            if (L2Entry.isCompressed(e)) {
                add(out, Extent.compressed(pos, clusterEnd - pos, L2Entry.compressedDescriptor(e, clusterBits),
                        clusterStart), exact);
                pos = clusterEnd;
            } else if (!extendedL2) {
                pos = standardRun(out, entries, idx, pos, tableEnd, exact);
            } else {
                subclusterExtents(out, e, t.bitmaps()[idx], clusterStart, pos, clusterEnd, exact);
                pos = clusterEnd;
            }
        }
        return pos;
    }

    /**
     * Adds one extent for the run of standard entries starting at {@code idx} that {@link #add}
     * would merge anyway, and returns where the run ends: a sparse 64 GiB image has a million
     * entries, and one object per cluster made walking them the restore's main CPU cost.
     */
    private long standardRun(List<Extent> out, long[] entries, int idx, long pos, long tableEnd, boolean exact) {
        long cs = header.clusterSize();
        long e = entries[idx];
        long host = L2Entry.hostOffset(e);
        Extent.Kind kind = standardKind(e);
        int last = (int) (((tableEnd - 1) >>> clusterBits) & ((1 << l2Bits) - 1));
        boolean hostContiguous = true;
        int j = idx + 1;
        for (; j <= last; j++) {
            long next = entries[j];
            if (L2Entry.isCompressed(next) || standardKind(next) != kind) {
                break;
            }
            long nextHost = L2Entry.hostOffset(next);
            boolean contiguous = host != 0 && nextHost == host + (long) (j - idx) * cs;
            if (kind == Extent.Kind.DATA || exact) {
                // data must be contiguous on the host; qemu-img map also splits zeros at host breaks
                if (host == 0 ? nextHost != 0 : !contiguous) {
                    break;
                }
            } else if (!contiguous) {
                hostContiguous = false;
            }
        }
        long clusterStart = pos & ~(cs - 1);
        long runEnd = Math.min(clusterStart + (long) (j - idx) * cs, tableEnd);
        long inCluster = host == 0 || !hostContiguous ? -1 : host + (pos - clusterStart);
        add(out, new Extent(kind, pos, runEnd - pos, inCluster, null, -1), exact);
        return runEnd;
    }

    private static Extent.Kind standardKind(long e) {
        if ((e & L2_ZERO) != 0) {
            return Extent.Kind.ZERO;
        }
        return L2Entry.hostOffset(e) != 0 ? Extent.Kind.DATA : Extent.Kind.UNALLOCATED;
    }

    private void subclusterExtents(List<Extent> out, long e, long bm, long clusterStart, long from, long to,
            boolean exact) {
        long host = L2Entry.hostOffset(e);
        int alloc = L2Entry.allocBits(bm);
        int zero = L2Entry.zeroBits(bm);
        long sc = 1L << subclusterBits;
        long pos = from;
        while (pos < to) {
            int s = (int) ((pos - clusterStart) >>> subclusterBits);
            long scEnd = Math.min(clusterStart + (s + 1) * sc, to);
            long inCluster = host == 0 ? -1 : host + (pos - clusterStart);
            Extent.Kind kind = (alloc >>> s & 1) != 0 ? Extent.Kind.DATA
                    : (zero >>> s & 1) != 0 ? Extent.Kind.ZERO : Extent.Kind.UNALLOCATED;
            add(out, new Extent(kind, pos, scEnd - pos, inCluster, null, -1), exact);
            pos = scEnd;
        }
    }

    private static void add(List<Extent> out, Extent e, boolean exact) {
        int last = out.size() - 1;
        if (last >= 0 && (exact ? out.get(last).canMergeExact(e) : out.get(last).canMerge(e))) {
            out.set(last, out.get(last).merge(e));
        } else {
            out.add(e);
        }
    }

    /**
     * Checks that this image's compressed clusters can be inflated in this JVM. zlib always can; zstd
     * needs zstd-jni's native library, which may fail to load (a read-only or noexec temp directory).
     * A restore calls this before it touches its target, so such an environment is reported once,
     * naming the image, instead of as a failed write halfway through the disk. Like qemu, which
     * refuses to open a zstd image when it was built without zstd, this looks at the header's
     * compression type, not at whether compressed clusters are present.
     *
     * @throws Qcow2Exception naming the image, when its compression type cannot be decompressed here
     */
    public void requireDecompressor() throws Qcow2Exception {
        if (header.compressionType() == Header.COMPRESSION_ZSTD) {
            String error = ZstdDecompressor.loadError();
            if (error != null) {
                throw new Qcow2Exception(name(), "header", HDR_COMPRESSION_TYPE,
                        "compression type zstd, but zstd-jni's native library cannot be loaded (" + error
                                + "); give the JVM -DZstdNativePath=<path of libzstd-jni .so> or a writable,"
                                + " executable java.io.tmpdir");
            }
        }
    }

    /**
     * Reads guest bytes of this image alone (unallocated reads as zeros, like {@code qemu-img
     * convert} of this one file) into {@code dst}, from guest offset {@code offset}. Reading past the
     * virtual size is an error.
     */
    public void read(ByteBuffer dst, long offset) throws IOException {
        long len = dst.remaining();
        if (offset < 0 || offset + len > virtualSize()) {
            throw new IllegalArgumentException("read [" + offset + ", " + (offset + len) + ") outside the virtual size "
                    + virtualSize());
        }
        try (ExtentReader r = new ExtentReader()) {
            for (Extent e : extents(offset, len)) {
                r.read(this, e, dst);
            }
        }
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    @Override
    public String toString() {
        return "Qcow2Image[" + name() + "]";
    }
}
