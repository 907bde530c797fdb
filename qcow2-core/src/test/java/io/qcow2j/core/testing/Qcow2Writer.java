package io.qcow2j.core.testing;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.FeatureBits;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Writes a minimal, valid qcow2 version 3 image from a description of its guest content: header,
 * L1 table, one L2 table per L1 entry that maps anything, the data clusters and an exact refcount
 * table (16-bit refcounts), so both the reader and {@code qemu-img check} accept it. Each granule
 * (a cluster, or a subcluster with extended L2 entries) is unallocated, zero or data, encoded as
 * qemu does: data = host offset with COPIED, zero = the zero flag (the subcluster zero bits with
 * extended L2), unallocated = an empty entry. No compression, no backing file name.
 *
 * <p>It lets tests build thousands of images with mixed geometries without qemu. Offsets and masks
 * come from {@link io.qcow2j.core.internal.format.Layout}, the library's field table; the layout decisions
 * (which cluster holds what) are this class's own. Data granules are written at their host
 * position; everything else is a hole.
 *
 * <pre>{@code
 * Qcow2Writer.image(16, false, 1 << 20)
 *         .data(0, bytes)             // granule-aligned guest offset
 *         .zero(65536, 131072)        // granules that read as zeros
 *         .write(path);
 * }</pre>
 */
public final class Qcow2Writer {
    /** header_length: the version 3 fields and compression_type, padded to 8 bytes. */
    private static final int HEADER_LENGTH = align8(HDR_COMPRESSION_TYPE + 1);
    private static final int REFCOUNT_ORDER = 4;
    private static final int REFCOUNT_BYTES = (1 << REFCOUNT_ORDER) / 8;
    /** Marks a zero granule in {@link #granules}; data granules map to their bytes. */
    private static final byte[] ZERO = new byte[0];

    private final int clusterBits;
    private final boolean extendedL2;
    private final long virtualSize;
    private final long granule;
    /** Granule index to its bytes, or {@link #ZERO}; absent granules are unallocated. */
    private final TreeMap<Long, byte[]> granules = new TreeMap<>();
    private boolean reverseData;

    private Qcow2Writer(int clusterBits, boolean extendedL2, long virtualSize) {
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS
                || (extendedL2 && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS)) {
            throw new IllegalArgumentException("cluster bits " + clusterBits + " extended " + extendedL2);
        }
        if (virtualSize <= 0 || virtualSize % SECTOR != 0) {
            throw new IllegalArgumentException("virtual size " + virtualSize);
        }
        this.clusterBits = clusterBits;
        this.extendedL2 = extendedL2;
        this.virtualSize = virtualSize;
        this.granule = 1L << (extendedL2 ? clusterBits - SUBCLUSTER_BITS : clusterBits);
    }

    /**
     * An image with nothing allocated.
     *
     * @param clusterBits 9..21
     * @param extendedL2  32 subclusters per cluster (needs clusterBits of at least 14)
     * @param virtualSize the guest disk size in bytes, a multiple of 512 (qemu counts sectors)
     */
    public static Qcow2Writer image(int clusterBits, boolean extendedL2, long virtualSize) {
        return new Qcow2Writer(clusterBits, extendedL2, virtualSize);
    }

    /** Bytes a granule covers: the subcluster with extended L2 entries, else the cluster. */
    public long granule() {
        return granule;
    }

    /**
     * Makes the granules from {@code offset} hold {@code bytes}, one granule after the other; a
     * last, shorter piece leaves the rest of its granule reading as zeros. Bytes of one granule or
     * less are kept, not copied, until {@link #write}.
     *
     * @param offset a multiple of {@link #granule()} inside the disk
     */
    public Qcow2Writer data(long offset, byte[] bytes) {
        long first = granuleIndex(offset);
        if (bytes.length == 0 || offset + bytes.length > virtualSize) {
            throw new IllegalArgumentException(bytes.length + " bytes at " + offset + " of " + virtualSize);
        }
        if (bytes.length <= granule) {
            granules.put(first, bytes);
            return this;
        }
        for (int from = 0; from < bytes.length; from += (int) granule) {
            int to = (int) Math.min(bytes.length, from + granule);
            granules.put(first + from / granule, Arrays.copyOfRange(bytes, from, to));
        }
        return this;
    }

    /** Makes the granules touching [offset, offset + length) read as zeros. */
    public Qcow2Writer zero(long offset, long length) {
        long first = granuleIndex(offset);
        long end = Math.min(virtualSize, offset + length);
        for (long g = first; g * granule < end; g++) {
            granules.put(g, ZERO);
        }
        return this;
    }

    /**
     * Places the data clusters in reverse guest order, so no two guest neighbours are host
     * neighbours and reads cannot be coalesced; guest order by default.
     */
    public Qcow2Writer reverseData(boolean reverse) {
        this.reverseData = reverse;
        return this;
    }

    private long granuleIndex(long offset) {
        if (offset < 0 || offset >= virtualSize || offset % granule != 0) {
            throw new IllegalArgumentException("offset " + offset + " is not a granule of the disk (granule "
                    + granule + ", size " + virtualSize + ")");
        }
        return offset / granule;
    }

    /** Writes the image to {@code file}, created or replaced. */
    public void write(Path file) throws IOException {
        long cs = 1L << clusterBits;
        int entryBytes = extendedL2 ? ENTRY_BYTES + EXT_L2_BITMAP : ENTRY_BYTES;
        long l2Entries = cs / entryBytes;
        long clusters = ceilDiv(virtualSize, cs);
        int l1Size = (int) ceilDiv(clusters, l2Entries);
        long l1Clusters = ceilDiv((long) ENTRY_BYTES * l1Size, cs);
        int perCluster = extendedL2 ? SUBCLUSTERS : 1;

        // the clusters that map anything (guest order) and whether each holds data
        TreeMap<Long, Boolean> mapped = new TreeMap<>();
        for (Map.Entry<Long, byte[]> g : granules.entrySet()) {
            mapped.merge(g.getKey() / perCluster, g.getValue() != ZERO, Boolean::logicalOr);
        }

        // header, L1, L2 tables in L1 order, data clusters, then the refcount structures
        long next = 1 + l1Clusters;
        long l1Offset = cs;
        long[] l2Offset = new long[l1Size];
        for (long c : mapped.keySet()) {
            int i = (int) (c / l2Entries);
            if (l2Offset[i] == 0) {
                l2Offset[i] = -1;
            }
        }
        for (int i = 0; i < l1Size; i++) {
            if (l2Offset[i] != 0) {
                l2Offset[i] = next++ * cs;
            }
        }
        List<Long> dataClusters = new ArrayList<>();
        mapped.forEach((c, data) -> {
            if (data) {
                dataClusters.add(c);
            }
        });
        if (reverseData) {
            Collections.reverse(dataClusters);
        }
        Map<Long, Long> host = new HashMap<>();
        for (long c : dataClusters) {
            host.put(c, next++ * cs);
        }
        // the refcount structures count themselves
        long refsPerBlock = cs / REFCOUNT_BYTES;
        long rtClusters = 1;
        long rbCount = 1;
        while (true) {
            long total = next + rtClusters + rbCount;
            long needBlocks = ceilDiv(total, refsPerBlock);
            long needTable = ceilDiv(ENTRY_BYTES * needBlocks, cs);
            if (needBlocks <= rbCount && needTable <= rtClusters) {
                break;
            }
            rbCount = Math.max(rbCount, needBlocks);
            rtClusters = Math.max(rtClusters, needTable);
        }
        long rtOffset = next * cs;
        long rbFirst = next + rtClusters;
        long totalClusters = rbFirst + rbCount;

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            // the header, then an empty extension area (its end marker is zeros)
            ByteBuffer h = buffer(HEADER_LENGTH + EXT_HEADER_LENGTH);
            h.putInt(HDR_MAGIC, MAGIC).putInt(HDR_VERSION, 3).putInt(HDR_CLUSTER_BITS, clusterBits)
                    .putLong(HDR_SIZE, virtualSize).putInt(HDR_L1_SIZE, l1Size).putLong(HDR_L1_TABLE_OFFSET, l1Offset)
                    .putLong(HDR_REFCOUNT_TABLE_OFFSET, rtOffset).putInt(HDR_REFCOUNT_TABLE_CLUSTERS, (int) rtClusters)
                    .putLong(HDR_INCOMPATIBLE_FEATURES, extendedL2 ? 1L << FeatureBits.INCOMPAT_EXTENDED_L2 : 0)
                    .putInt(HDR_REFCOUNT_ORDER, REFCOUNT_ORDER).putInt(HDR_HEADER_LENGTH, HEADER_LENGTH);
            writeAt(ch, h, 0);

            ByteBuffer l1 = buffer(ENTRY_BYTES * l1Size);
            for (int i = 0; i < l1Size; i++) {
                l1.putLong(ENTRY_BYTES * i, l2Offset[i] == 0 ? 0 : l2Offset[i] | COPIED);
            }
            writeAt(ch, l1, l1Offset);

            for (int i = 0; i < l1Size; i++) {
                if (l2Offset[i] == 0) {
                    continue;
                }
                ByteBuffer l2 = buffer((int) cs);
                for (long c : mapped.subMap(i * l2Entries, (i + 1) * l2Entries).keySet()) {
                    int at = (int) ((c - i * l2Entries) * entryBytes);
                    Long hc = host.get(c);
                    long word = hc == null ? 0 : hc | COPIED;
                    if (extendedL2) {
                        long alloc = 0;
                        long zero = 0;
                        for (Map.Entry<Long, byte[]> g : granulesOf(c, perCluster).entrySet()) {
                            long bit = 1L << (g.getKey() - c * perCluster);
                            if (g.getValue() == ZERO) {
                                zero |= bit;
                            } else {
                                alloc |= bit;
                            }
                        }
                        l2.putLong(at, word);
                        l2.putLong(at + EXT_L2_BITMAP, alloc | zero << SUBCLUSTER_ZERO_SHIFT);
                    } else {
                        l2.putLong(at, granules.get(c) == ZERO ? L2_ZERO : word);
                    }
                }
                writeAt(ch, l2, l2Offset[i]);
            }

            for (Map.Entry<Long, Long> en : host.entrySet()) {
                long c = en.getKey();
                for (Map.Entry<Long, byte[]> g : granulesOf(c, perCluster).entrySet()) {
                    if (g.getValue() != ZERO) {
                        long at = en.getValue() + (g.getKey() - c * perCluster) * granule;
                        writeAt(ch, ByteBuffer.wrap(g.getValue()), at);
                    }
                }
            }

            ByteBuffer rt = buffer((int) (rtClusters * cs));
            for (long b = 0; b < rbCount; b++) {
                rt.putLong((int) (ENTRY_BYTES * b), (rbFirst + b) * cs);
            }
            writeAt(ch, rt, rtOffset);
            ByteBuffer rb = buffer((int) (rbCount * cs));
            for (long c = 0; c < totalClusters; c++) {
                rb.putShort((int) (REFCOUNT_BYTES * c), (short) 1);
            }
            writeAt(ch, rb, rbFirst * cs);
        }
        // the data clusters' unwritten tails and any trailing holes stay sparse
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(totalClusters * cs);
        }
    }

    private NavigableMap<Long, byte[]> granulesOf(long cluster, int perCluster) {
        return granules.subMap(cluster * perCluster, true, (cluster + 1) * perCluster - 1, true);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private static ByteBuffer buffer(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.BIG_ENDIAN);
    }

    private static void writeAt(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        b.clear();
        long p = pos;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }
}
