package io.qcow2j.core.format;

import static io.qcow2j.core.format.Layout.SUBCLUSTER_BITS;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Extent;
import io.qcow2j.core.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The cluster mapping of one image (spec "Cluster mapping"): the active L1 table, checked when read,
 * and its L2 tables, read and checked when first needed and kept in a bounded {@link L2Cache}.
 * Answers what each guest range is as {@link Extent}s; nothing outside this package sees an L2
 * table. Thread-safe. Internal, not API: {@link io.qcow2j.core.Qcow2Image} is the way in.
 */
public final class ClusterMap {
    private final Header header;
    private final L1Table l1;
    private final L2TableReader tables;
    private final L2Cache cache;
    private final ExtentWalker walker;
    private final long cacheBudget;

    private ClusterMap(ByteSource source, Header header, L1Table l1, long fileSize, long cacheBudget) {
        this.header = header;
        this.l1 = l1;
        this.tables = new L2TableReader(source, header, l1, fileSize);
        this.cacheBudget = cacheBudget;
        this.cache = new L2Cache(cacheBudget, tables::load);
        this.walker = new ExtentWalker(header, l1, cache);
    }

    /**
     * Reads and validates the refcount table (for the overlap checks) and the L1 table of the image
     * {@code header} describes.
     *
     * @param fileSize     the file size at open: nothing may lie past it
     * @param cacheBudget  bytes of decoded L2 tables to keep
     */
    public static ClusterMap read(ByteSource source, Header header, long fileSize, long cacheBudget)
            throws IOException {
        RefcountTable refcounts = RefcountTable.read(source, header, fileSize);
        L1Table l1 = L1Table.read(source, header, refcounts, fileSize);
        return new ClusterMap(source, header, l1, fileSize, cacheBudget);
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

    /** Loads and validates every L2 table of the disk once. */
    public void validateAllTables() throws IOException {
        int clusterBits = header.clusterBits();
        int l2Bits = header.l2Bits();
        // when every table fits the cache, keep them: the restore's composition reads them next
        boolean keep = (long) allocatedL2Tables() * header.clusterSize() <= cacheBudget;
        ByteBuffer buf = keep ? null : tables.newTableBuffer();
        long[] entries = keep ? null : new long[1 << l2Bits];
        long[] bitmaps = keep || !header.features().extendedL2() ? null : new long[1 << l2Bits];
        for (int i = 0; i < l1.size(); i++) {
            if (l1.l2Offset(i) != 0 && ((long) i << (l2Bits + clusterBits)) < header.virtualSize()) {
                if (keep) {
                    cache.load(i);
                } else {
                    tables.read(i, buf, entries, bitmaps);
                }
            }
        }
    }

    /**
     * Appends the extents of guest range [{@code offset}, {@code offset + length}), clamped to the
     * virtual size, to {@code out}, merging with its last element.
     *
     * @param mapMerging merge as {@code qemu-img map} does instead of as {@link Extent#canMerge}
     *                   allows
     */
    public void extents(long offset, long length, List<Extent> out, boolean mapMerging) throws IOException {
        walker.walk(offset, length, out, mapMerging);
    }
}
