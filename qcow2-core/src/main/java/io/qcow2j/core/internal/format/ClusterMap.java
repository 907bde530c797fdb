package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.L1_OFFSET_MASK;
import static io.qcow2j.core.internal.format.Layout.SUBCLUSTER_BITS;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Extent;
import io.qcow2j.core.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * The cluster mapping of one image (spec "Cluster mapping"): the active L1 table, checked when read,
 * and its L2 tables, read and checked a slice at a time when first needed and kept in a bounded
 * {@link L2Cache}. Answers what each guest range is as {@link Extent}s; nothing outside this package
 * sees an L2 table. Thread-safe. Internal, not API: {@link io.qcow2j.core.Qcow2Image} is the way in.
 */
public final class ClusterMap {
    /** The smallest slice: a page of entries, as qemu's smallest sensible l2-cache-entry-size. */
    static final int MIN_SLICE_BYTES = 4096;
    /** A budget holds at least this many slices when it can: a window touches one or two per image. */
    private static final int SLICES_IN_BUDGET = 4;
    /**
     * The same for a remote source, where every slice read is a request: two, so that a chain's
     * share of the budget more often holds a whole table, read in one request instead of several.
     */
    private static final int REMOTE_SLICES_IN_BUDGET = 2;

    private final Header header;
    private final L1Table l1;
    private final RefcountTable refcounts;
    private final ByteSource source;
    private final L2TableReader tables;
    private final L2Cache cache;
    private final ExtentWalker walker;
    private final long cacheBudget;
    private final int sliceBits;

    private ClusterMap(ByteSource source, Header header, L1Table l1, RefcountTable refcounts, long fileSize,
            long cacheBudget) {
        this.source = source;
        this.header = header;
        this.l1 = l1;
        this.refcounts = refcounts;
        this.cacheBudget = cacheBudget;
        this.sliceBits = sliceBits(source, header, cacheBudget);
        this.tables = new L2TableReader(source, header, l1, fileSize, sliceBits);
        this.cache = new L2Cache(cacheBudget, tables::load);
        this.walker = new ExtentWalker(header, l1, cache, sliceBits);
    }

    /**
     * Reads and validates the refcount table (for the overlap checks) and the L1 table of the image
     * {@code header} describes.
     *
     * @param fileSize     the file size at open: nothing may lie past it
     * @param cacheBudget  bytes of decoded L2 slices to keep
     */
    public static ClusterMap read(ByteSource source, Header header, long fileSize, long cacheBudget)
            throws IOException {
        return read(source, source, header, fileSize, cacheBudget);
    }

    /**
     * As {@link #read(ByteSource, Header, long, long)}, reading the refcount and L1 tables through
     * {@code opening} (the source the header came through: see {@link #opening}) and keeping
     * {@code source} for the L2 tables.
     */
    public static ClusterMap read(ByteSource opening, ByteSource source, Header header, long fileSize,
            long cacheBudget) throws IOException {
        RefcountTable refcounts = RefcountTable.read(opening, header, fileSize);
        L1Table l1 = L1Table.read(opening, header, refcounts, fileSize);
        return new ClusterMap(source, header, l1, refcounts, fileSize, cacheBudget);
    }

    /**
     * The source to read an image's header, refcount table and L1 table through: {@code source}
     * itself when it is local, else one that fetches the image's first {@code readAheadBytes} in one
     * request and is dropped once the image is open (closing it does not close the source).
     */
    public static ByteSource opening(ByteSource source, int readAheadBytes) {
        return OpeningReadAhead.over(source, readAheadBytes);
    }

    /**
     * log2 of the entries in one cached slice: as large as the budget holds {@code slicesInBudget}
     * of (fewer reads), at least {@link #MIN_SLICE_BYTES}, at most the whole table. A chain that
     * splits its budget over many images thus keeps a small slice per image, not a table (2 MiB with
     * 2 MiB clusters), and a lone image keeps whole tables.
     */
    static int sliceBits(Header header, long cacheBudget, int slicesInBudget) {
        long want = Long.highestOneBit(Math.max(1, cacheBudget / slicesInBudget));
        long bytes = Math.min(header.clusterSize(), Math.max(MIN_SLICE_BYTES, want));
        return Long.numberOfTrailingZeros(bytes / header.l2EntryBytes());
    }

    /** {@link #sliceBits(Header, long, int)} for an image read from {@code source}. */
    private static int sliceBits(ByteSource source, Header header, long cacheBudget) {
        return sliceBits(header, cacheBudget,
                source.preferredConcurrency() > 0 ? REMOTE_SLICES_IN_BUDGET : SLICES_IN_BUDGET);
    }

    /** log2 of the smallest unit with its own state: the subcluster with extended L2, else the cluster. */
    static int subclusterBits(Header header) {
        return header.features().extendedL2() ? header.clusterBits() - SUBCLUSTER_BITS : header.clusterBits();
    }

    /** The smallest unit with its own state, in bytes. */
    public long granularity() {
        return 1L << subclusterBits(header);
    }

    /** Number of L1 entries that point to an L2 table. */
    public int allocatedL2Tables() {
        return l1.allocatedTables();
    }

    /**
     * Heap bytes this map can hold while the image is read: its L1 entries, the refcount block
     * offsets and the L2 cache at its fullest (the budget, at least one slice, and the evicted slice
     * kept for reuse; or every slice of the disk when they all fit the budget).
     */
    public long metadataBytes() {
        return metadataBytes(header, sliceBits, cacheBudget, l1.heapBytes(), refcounts.heapBytes(), slicesInDisk());
    }

    /**
     * The most {@link #metadataBytes()} can be for the image {@code header} describes, from the
     * header and the file size alone, before any table is read: every L1 page holds a table, every
     * slice of the disk is cached (up to the budget), every cluster of the file is a refcount block.
     */
    public static long metadataBound(ByteSource source, Header header, long fileSize, long cacheBudget) {
        int bits = sliceBits(source, header, cacheBudget);
        int span = header.clusterBits() + bits;
        long diskSlices = (header.virtualSize() + (1L << span) - 1) >>> span;
        long refcountBlocks = Math.min(RefcountTable.entries(header), fileSize / header.clusterSize());
        return metadataBytes(header, bits, cacheBudget,
                L1Table.heapBytes(header.l1Size(), L1Table.pageCount(header.l1Size())),
                RefcountTable.heapBytes(refcountBlocks), diskSlices);
    }

    /**
     * {@link #metadataBytes()} of the image {@code header} describes, counted by reading its L1 and
     * refcount tables a chunk at a time and keeping nothing (nor checking them: an entry that
     * opening would refuse counts as a table): for a chain whose {@link #metadataBound bounds} do
     * not fit, what opening it would really hold.
     */
    public static long countMetadataBytes(ByteSource source, Header header, long fileSize, long cacheBudget)
            throws IOException {
        int bits = sliceBits(source, header, cacheBudget);
        long[] pages = {0};
        long[] slices = {0};
        int[] lastPage = {-1};
        TableScan.forEachNonZero(source, header.l1TableOffset(), header.l1Size(), "L1 table", (i, e) -> {
            if ((e & L1_OFFSET_MASK) == 0) {
                return;
            }
            if (L1Table.pageOf(i) != lastPage[0]) {
                lastPage[0] = L1Table.pageOf(i);
                pages[0]++;
            }
            slices[0] += slicesOfEntry(header, bits, i);
        });
        long[] blocks = {0};
        TableScan.forEachNonZero(source, header.refcountTableOffset(), RefcountTable.entries(header),
                "refcount table", (i, e) -> blocks[0]++);
        return metadataBytes(header, bits, cacheBudget, L1Table.heapBytes(header.l1Size(), pages[0]),
                RefcountTable.heapBytes(Math.min(blocks[0], fileSize / header.clusterSize())), slices[0]);
    }

    private static long metadataBytes(Header header, int sliceBits, long cacheBudget, long l1Bytes,
            long refcountBytes, long slices) {
        long slice = L2Slice.heapBytes(1 << sliceBits, header.features().extendedL2());
        long all = slices * slice;
        long cacheMax = all <= cacheBudget ? all : Math.max(cacheBudget, slice) + slice;
        return l1Bytes + refcountBytes + cacheMax;
    }

    /** The slices of the allocated L2 tables that cover part of the disk. */
    private long slicesInDisk() {
        long n = 0;
        for (int i = l1.nextAllocated(0, l1.size()); i < l1.size(); i = l1.nextAllocated(i + 1, l1.size())) {
            n += slicesOfEntry(header, sliceBits, i);
        }
        return n;
    }

    /** The slices of L1 entry {@code index}'s table that cover part of the disk. */
    private static long slicesOfEntry(Header header, int sliceBits, int index) {
        int span = header.clusterBits() + sliceBits;
        long slicesPerTable = 1L << (header.l2Bits() - sliceBits);
        long diskSlices = (header.virtualSize() + (1L << span) - 1) >>> span;
        return Math.max(0, Math.min(slicesPerTable, diskSlices - index * slicesPerTable));
    }

    /**
     * Loads and validates every L2 table of the disk once. When all their slices fit the cache they
     * stay there (the restore's composition reads them next); otherwise they are read through a
     * buffer of their own and dropped, so the pass holds no table.
     */
    public void validateAllTables() throws IOException {
        validateAllTables(null);
    }

    /**
     * As {@link #validateAllTables()}; for a remote source with {@code reads} not null, the tables'
     * bytes are fetched on {@code reads} all at once ({@link TablePrefetch}), at most this image's
     * L2 budget of them ahead of the pass (at least one table), instead of one table after another.
     */
    public void validateAllTables(ExecutorService reads) throws IOException {
        long slice = L2Slice.heapBytes(1 << sliceBits, header.features().extendedL2());
        boolean keep = slicesInDisk() * slice <= cacheBudget;
        ByteBuffer buf = keep ? null : tables.readBuffer(tables.chunk());
        int perRead = keep ? 0 : buf.capacity() / header.l2EntryBytes();
        long[] entries = keep ? null : new long[perRead];
        long[] bitmaps = keep || !header.features().extendedL2() ? null : new long[perRead];
        TablePrefetch prefetch = null;
        if (reads != null && source.preferredConcurrency() > 0) {
            prefetch = new TablePrefetch(source, reads, tableRanges(keep ? 1 << sliceBits : perRead),
                    Math.max(cacheBudget, 1));
        }
        try {
            validateTables(prefetch, keep, buf, entries, bitmaps);
        } finally {
            if (prefetch != null) {
                prefetch.close();
                tables.serveFrom(null, 0);
            }
        }
    }

    /**
     * {position, length} of the bytes of each allocated table inside the disk that a validation
     * pass reads, {@code unit} entries at a time, in the pass's order.
     */
    private List<long[]> tableRanges(int unit) {
        int span = header.l2Bits() + header.clusterBits();
        long clustersInDisk = (header.virtualSize() + header.clusterSize() - 1) >>> header.clusterBits();
        List<long[]> ranges = new ArrayList<>();
        int n = l1.size();
        for (int i = l1.nextAllocated(0, n); i < n; i = l1.nextAllocated(i + 1, n)) {
            long first = (long) i << header.l2Bits();
            if ((long) i << span >= header.virtualSize()) {
                break;
            }
            long inDisk = Math.min(1L << header.l2Bits(), clustersInDisk - first);
            long read = Math.min(1L << header.l2Bits(), (inDisk + unit - 1) / unit * unit);
            ranges.add(new long[] {l1.l2Offset(i), read * header.l2EntryBytes()});
        }
        return ranges;
    }

    private void validateTables(TablePrefetch prefetch, boolean keep, ByteBuffer buf, long[] entries,
            long[] bitmaps) throws IOException {
        int span = header.l2Bits() + header.clusterBits();
        int sliceSpan = sliceBits + header.clusterBits();
        long size = header.virtualSize();
        int n = l1.size();
        int k = 0;
        for (int i = l1.nextAllocated(0, n); i < n; i = l1.nextAllocated(i + 1, n), k++) {
            long tableStart = (long) i << span;
            if (tableStart >= size) {
                break; // entries are in guest order: every later table lies past the disk too
            }
            if (prefetch != null) {
                tables.serveFrom(prefetch.take(k), l1.l2Offset(i));
            }
            if (keep) {
                long tableEnd = Math.min(size, (long) (i + 1) << span);
                for (long key = tableStart >>> sliceSpan; key << sliceSpan < tableEnd; key++) {
                    cache.load(key);
                }
            } else {
                tables.validateTable(i, buf, entries, bitmaps);
            }
        }
    }

    /**
     * The first guest offset at or after {@code offset} that an L2 table of this image maps (the
     * start of the table's range), or the virtual size when no later table covers the disk: every
     * byte before it is unallocated here. Skips pages of the L1 table without tables at once.
     */
    public long nextMapped(long offset) {
        long size = header.virtualSize();
        if (offset >= size) {
            return size;
        }
        int span = header.l2Bits() + header.clusterBits();
        int i = l1.nextAllocated((int) (offset >>> span), l1.size());
        return i >= l1.size() ? size : Math.min(size, Math.max(offset, (long) i << span));
    }

    /**
     * Appends the extents of guest range [{@code offset}, {@code offset + length}), clamped to the
     * virtual size, to {@code out}, merging with its last element.
     *
     * @param mapMerging merge as {@code qemu-img map} does instead of as {@link io.qcow2j.core.internal.Extents#canMerge}
     *                   allows
     */
    public void extents(long offset, long length, List<Extent> out, boolean mapMerging) throws IOException {
        walker.walk(offset, length, out, mapMerging);
    }
}
