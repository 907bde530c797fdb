package io.qcow2j.core;

import io.qcow2j.core.internal.format.Layout;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The qcow2 header (version 2 or 3) with its extensions, as {@link Qcow2Image#open} read and
 * checked it. Every field keeps the spec's name; 32-bit fields the spec calls unsigned are stored
 * as Java ints and read with {@link Integer#toUnsignedLong}.
 *
 * @param version               2 or 3
 * @param backingFileOffset     where the backing file name is (0: none); never opened or followed
 * @param backingFileSize       length of the backing file name
 * @param clusterBits           log2 of the cluster size, 9..21
 * @param size                  the header's virtual size field, in bytes (the disk is
 *                              {@link #virtualSize()}: whole sectors)
 * @param cryptMethod           0 (an encrypted image is refused at open)
 * @param l1Size                entries of the active L1 table
 * @param l1TableOffset         where the active L1 table is
 * @param refcountTableOffset   where the refcount table is
 * @param refcountTableClusters clusters the refcount table occupies
 * @param nbSnapshots           number of internal snapshots
 * @param snapshotsOffset       where the snapshot table is
 * @param features              the feature bit masks (all 0 in version 2)
 * @param refcountOrder         log2 of the refcount width in bits (4 in version 2)
 * @param headerLength          length of the header before its extensions
 * @param compressionType       {@link #COMPRESSION_ZLIB} or {@link #COMPRESSION_ZSTD}
 * @param extensions            every header extension, in file order
 * @param backingFile           the backing file name, reported only
 * @param backingFormat         the backing file format name
 * @param externalDataFile      the external data file name (such an image is refused at open)
 * @param featureNames          the image's feature name table, keyed {@code "KIND:bit"}
 * @param bitmapsExtension      the persistent bitmaps extension, when current
 */
public record Header(
        int version,
        long backingFileOffset,
        int backingFileSize,
        int clusterBits,
        long size,
        int cryptMethod,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        int nbSnapshots,
        long snapshotsOffset,
        FeatureBits features,
        int refcountOrder,
        int headerLength,
        int compressionType,
        List<HeaderExtension> extensions,
        Optional<String> backingFile,
        Optional<String> backingFormat,
        Optional<String> externalDataFile,
        Map<String, String> featureNames,
        Optional<BitmapsExtension> bitmapsExtension) {

    /** {@code compression_type} 0: raw deflate. */
    public static final int COMPRESSION_ZLIB = Layout.COMPRESSION_ZLIB;
    /** {@code compression_type} 1: zstd. */
    public static final int COMPRESSION_ZSTD = Layout.COMPRESSION_ZSTD;

    /**
     * The bitmaps header extension: number of bitmaps and where the directory lives.
     *
     * @param nbBitmaps       number of persistent bitmaps
     * @param directorySize   bytes of the bitmap directory
     * @param directoryOffset where the bitmap directory is
     */
    public record BitmapsExtension(int nbBitmaps, long directorySize, long directoryOffset) {
    }

    /**
     * The virtual disk size: {@link #size()} rounded down to whole 512-byte sectors, because qemu
     * counts the disk in sectors ({@code size / 512}) and reads and reports nothing past them.
     */
    public long virtualSize() {
        return size & ~(Layout.SECTOR - 1L);
    }

    /** Bytes per cluster, {@code 1 << cluster_bits}. */
    public long clusterSize() {
        return 1L << clusterBits;
    }

    /** Bytes per L2 entry: 8, or 16 with extended L2 entries. */
    public int l2EntryBytes() {
        return features.extendedL2() ? 16 : 8;
    }

    /** log2 of the number of entries in one L2 table. */
    public int l2Bits() {
        return clusterBits - (features.extendedL2() ? 4 : 3);
    }

    /** Width of one refcount in bits, {@code 1 << refcount_order}. */
    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** Number of L1 entries needed to map {@link #size()}. */
    public long requiredL1Entries() {
        long perL1 = clusterSize() << l2Bits(); // bytes mapped by one L2 table
        return ceilDiv(size, perL1);
    }

    private static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }
}
