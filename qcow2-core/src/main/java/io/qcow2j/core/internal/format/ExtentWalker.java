package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.L2_ZERO;

import io.qcow2j.core.Extent;
import io.qcow2j.core.internal.Extents;
import io.qcow2j.core.Header;
import java.io.IOException;
import java.util.List;

/**
 * Turns the cluster mapping of one image into guest {@link Extent}s: the L1 table says which L2
 * tables exist, their slices (through the cache) say what each cluster or subcluster is, and runs
 * that read the same way become one extent. Safe for concurrent walks: slices are only touched
 * under the cache's lock.
 */
final class ExtentWalker {
    private final Header header;
    private final L1Table l1;
    private final L2Cache cache;
    private final int clusterBits;
    private final int l2Bits;
    private final int sliceBits;
    private final int subclusterBits;
    private final boolean extendedL2;

    /** @param sliceBits log2 of the entries in one cached slice */
    ExtentWalker(Header header, L1Table l1, L2Cache cache, int sliceBits) {
        this.header = header;
        this.l1 = l1;
        this.cache = cache;
        this.clusterBits = header.clusterBits();
        this.l2Bits = header.l2Bits();
        this.sliceBits = sliceBits;
        this.extendedL2 = header.features().extendedL2();
        this.subclusterBits = ClusterMap.subclusterBits(header);
    }

    /**
     * Appends the extents of guest range [{@code offset}, {@code offset + length}), clamped to the
     * virtual size, to {@code out}, merging with its last element: with {@code exact} the way
     * {@code qemu-img map} merges, else as {@link Extents#canMerge} allows.
     */
    void walk(long offset, long length, List<Extent> out, boolean exact) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range");
        }
        long end = Math.min(header.virtualSize(), offset + length);
        long pos = offset;
        int l2Span = l2Bits + clusterBits;
        int sliceSpan = sliceBits + clusterBits;
        while (pos < end) {
            int l1i = (int) (pos >>> l2Span);
            if (l1.l2Offset(l1i) == 0) {
                // every table up to the next allocated one at once: most of a huge disk has none
                int next = l1.nextAllocated(l1i + 1, (int) ((end - 1) >>> l2Span) + 1);
                long to = Math.min(end, (long) next << l2Span);
                add(out, Extent.unallocated(pos, to - pos), exact);
                pos = to;
                continue;
            }
            long key = pos >>> sliceSpan;
            long sliceEnd = Math.min(end, (key + 1) << sliceSpan);
            long from = pos;
            pos = cache.read(key, s -> walkSlice(s, out, from, sliceEnd, exact));
        }
    }

    /** Adds the extents of [{@code pos}, {@code sliceEnd}), all inside slice {@code s}; returns the end. */
    private long walkSlice(L2Slice s, List<Extent> out, long pos, long sliceEnd, boolean exact) {
        long cs = header.clusterSize();
        long[] entries = s.entries();
        int mask = (1 << sliceBits) - 1;
        while (pos < sliceEnd) {
            int idx = (int) ((pos >>> clusterBits) & mask);
            long clusterStart = pos & ~(cs - 1);
            long clusterEnd = Math.min(clusterStart + cs, sliceEnd);
            long e = entries[idx];
            if (L2Entry.isCompressed(e)) {
                add(out, Extent.compressed(pos, clusterEnd - pos, L2Entry.compressedDescriptor(e, clusterBits),
                        clusterStart), exact);
                pos = clusterEnd;
            } else if (!extendedL2) {
                pos = standardRun(out, entries, idx, pos, sliceEnd, exact);
            } else {
                subclusterExtents(out, e, s.bitmaps()[idx], clusterStart, pos, clusterEnd, exact);
                pos = clusterEnd;
            }
        }
        return pos;
    }

    /**
     * Adds one extent for the run of standard entries starting at {@code idx} that {@link #add}
     * would merge anyway, and returns where the run ends: a large sparse image has millions of
     * entries, and an object per cluster would make walking them the restore's main CPU cost.
     */
    private long standardRun(List<Extent> out, long[] entries, int idx, long pos, long sliceEnd, boolean exact) {
        long cs = header.clusterSize();
        long e = entries[idx];
        long host = L2Entry.hostOffset(e);
        Extent.Kind kind = standardKind(e);
        int last = (int) (((sliceEnd - 1) >>> clusterBits) & ((1 << sliceBits) - 1));
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
        long runEnd = Math.min(clusterStart + (long) (j - idx) * cs, sliceEnd);
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
        if (last >= 0 && (exact ? Extents.canMergeExact(out.get(last), e) : Extents.canMerge(out.get(last), e))) {
            out.set(last, Extents.merge(out.get(last), e));
        } else {
            out.add(e);
        }
    }
}
