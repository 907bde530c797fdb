package io.qcow2j.core;

import io.qcow2j.core.internal.format.Layout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The qcow2 header (version 2 or 3) with its extensions, as {@link Qcow2Image#open} read and
 * checked it. Every field keeps the spec's name; 32-bit fields the spec calls unsigned are stored
 * as Java ints and read with {@link Integer#toUnsignedLong}.
 */
public final class Header {
    private final int version;
    private final long backingFileOffset;
    private final int backingFileSize;
    private final int clusterBits;
    private final long size;
    private final int cryptMethod;
    private final int l1Size;
    private final long l1TableOffset;
    private final long refcountTableOffset;
    private final int refcountTableClusters;
    private final int nbSnapshots;
    private final long snapshotsOffset;
    private final FeatureBits features;
    private final int refcountOrder;
    private final int headerLength;
    private final int compressionType;
    private final List<HeaderExtension> extensions;
    private final Optional<String> backingFile;
    private final Optional<String> backingFormat;
    private final Optional<String> externalDataFile;
    private final Map<String, String> featureNames;
    private final Optional<BitmapsExtension> bitmapsExtension;

    private Header(Builder b) {
        this.version = b.version;
        this.backingFileOffset = b.backingFileOffset;
        this.backingFileSize = b.backingFileSize;
        this.clusterBits = b.clusterBits;
        this.size = b.size;
        this.cryptMethod = b.cryptMethod;
        this.l1Size = b.l1Size;
        this.l1TableOffset = b.l1TableOffset;
        this.refcountTableOffset = b.refcountTableOffset;
        this.refcountTableClusters = b.refcountTableClusters;
        this.nbSnapshots = b.nbSnapshots;
        this.snapshotsOffset = b.snapshotsOffset;
        this.features = Objects.requireNonNull(b.features, "features");
        this.refcountOrder = b.refcountOrder;
        this.headerLength = b.headerLength;
        this.compressionType = b.compressionType;
        this.extensions = List.copyOf(b.extensions);
        this.backingFile = Objects.requireNonNull(b.backingFile, "backingFile");
        this.backingFormat = Objects.requireNonNull(b.backingFormat, "backingFormat");
        this.externalDataFile = Objects.requireNonNull(b.externalDataFile, "externalDataFile");
        // kept in the table's order
        this.featureNames = Collections.unmodifiableMap(new LinkedHashMap<>(b.featureNames));
        this.bitmapsExtension = Objects.requireNonNull(b.bitmapsExtension, "bitmapsExtension");
    }

    /** 2 or 3. */
    public int version() {
        return version;
    }

    /** Where the backing file name is (0: none); never opened or followed. */
    public long backingFileOffset() {
        return backingFileOffset;
    }

    /** Length of the backing file name. */
    public int backingFileSize() {
        return backingFileSize;
    }

    /** Log2 of the cluster size, 9..21. */
    public int clusterBits() {
        return clusterBits;
    }

    /**
     * The header's virtual size field, in bytes (the disk is {@link #virtualSize()}: whole
     * sectors).
     */
    public long size() {
        return size;
    }

    /** 0 (an encrypted image is refused at open). */
    public int cryptMethod() {
        return cryptMethod;
    }

    /** Entries of the active L1 table. */
    public int l1Size() {
        return l1Size;
    }

    /** Where the active L1 table is. */
    public long l1TableOffset() {
        return l1TableOffset;
    }

    /** Where the refcount table is. */
    public long refcountTableOffset() {
        return refcountTableOffset;
    }

    /** Clusters the refcount table occupies. */
    public int refcountTableClusters() {
        return refcountTableClusters;
    }

    /** Number of internal snapshots. */
    public int nbSnapshots() {
        return nbSnapshots;
    }

    /** Where the snapshot table is. */
    public long snapshotsOffset() {
        return snapshotsOffset;
    }

    /** The feature bit masks (all 0 in version 2). */
    public FeatureBits features() {
        return features;
    }

    /** Log2 of the refcount width in bits (4 in version 2). */
    public int refcountOrder() {
        return refcountOrder;
    }

    /** Length of the header before its extensions. */
    public int headerLength() {
        return headerLength;
    }

    /** {@link #COMPRESSION_ZLIB} or {@link #COMPRESSION_ZSTD}. */
    public int compressionType() {
        return compressionType;
    }

    /** Every header extension, in file order. */
    public List<HeaderExtension> extensions() {
        return extensions;
    }

    /** The backing file name, reported only. */
    public Optional<String> backingFile() {
        return backingFile;
    }

    /** The backing file format name. */
    public Optional<String> backingFormat() {
        return backingFormat;
    }

    /** The external data file name (such an image is refused at open). */
    public Optional<String> externalDataFile() {
        return externalDataFile;
    }

    /** The image's feature name table, keyed {@code "KIND:bit"}. */
    public Map<String, String> featureNames() {
        return featureNames;
    }

    /** The persistent bitmaps extension, when current. */
    public Optional<BitmapsExtension> bitmapsExtension() {
        return bitmapsExtension;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Header o)) {
            return false;
        }
        return version == o.version
                && backingFileOffset == o.backingFileOffset
                && backingFileSize == o.backingFileSize
                && clusterBits == o.clusterBits
                && size == o.size
                && cryptMethod == o.cryptMethod
                && l1Size == o.l1Size
                && l1TableOffset == o.l1TableOffset
                && refcountTableOffset == o.refcountTableOffset
                && refcountTableClusters == o.refcountTableClusters
                && nbSnapshots == o.nbSnapshots
                && snapshotsOffset == o.snapshotsOffset
                && Objects.equals(features, o.features)
                && refcountOrder == o.refcountOrder
                && headerLength == o.headerLength
                && compressionType == o.compressionType
                && Objects.equals(extensions, o.extensions)
                && Objects.equals(backingFile, o.backingFile)
                && Objects.equals(backingFormat, o.backingFormat)
                && Objects.equals(externalDataFile, o.externalDataFile)
                && Objects.equals(featureNames, o.featureNames)
                && Objects.equals(bitmapsExtension, o.bitmapsExtension);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, backingFileOffset, backingFileSize, clusterBits, size,
                cryptMethod, l1Size, l1TableOffset, refcountTableOffset, refcountTableClusters,
                nbSnapshots, snapshotsOffset, features, refcountOrder, headerLength,
                compressionType, extensions, backingFile, backingFormat, externalDataFile,
                featureNames, bitmapsExtension);
    }

    @Override
    public String toString() {
        return "Header[version=" + version + ", backingFileOffset=" + backingFileOffset +
                ", backingFileSize=" + backingFileSize + ", clusterBits=" + clusterBits +
                ", size=" + size + ", cryptMethod=" + cryptMethod + ", l1Size=" + l1Size +
                ", l1TableOffset=" + l1TableOffset +
                ", refcountTableOffset=" + refcountTableOffset +
                ", refcountTableClusters=" + refcountTableClusters +
                ", nbSnapshots=" + nbSnapshots + ", snapshotsOffset=" + snapshotsOffset +
                ", features=" + features + ", refcountOrder=" + refcountOrder +
                ", headerLength=" + headerLength + ", compressionType=" + compressionType +
                ", extensions=" + extensions + ", backingFile=" + backingFile +
                ", backingFormat=" + backingFormat + ", externalDataFile=" + externalDataFile +
                ", featureNames=" + featureNames + ", bitmapsExtension=" + bitmapsExtension + "]";
    }

    /**
     * A builder for {@link Header}, for the parser and for tests: every number starts at 0, the
     * feature bits at none, the lists, maps and optional names empty.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Header}; not thread-safe. */
    public static final class Builder {
        private int version;
        private long backingFileOffset;
        private int backingFileSize;
        private int clusterBits;
        private long size;
        private int cryptMethod;
        private int l1Size;
        private long l1TableOffset;
        private long refcountTableOffset;
        private int refcountTableClusters;
        private int nbSnapshots;
        private long snapshotsOffset;
        private FeatureBits features = new FeatureBits(0, 0, 0);
        private int refcountOrder;
        private int headerLength;
        private int compressionType;
        private List<HeaderExtension> extensions = List.of();
        private Optional<String> backingFile = Optional.empty();
        private Optional<String> backingFormat = Optional.empty();
        private Optional<String> externalDataFile = Optional.empty();
        private Map<String, String> featureNames = Map.of();
        private Optional<BitmapsExtension> bitmapsExtension = Optional.empty();

        private Builder() {
        }

        /** See {@link Header#version()}. */
        public Builder version(int version) {
            this.version = version;
            return this;
        }

        /** See {@link Header#backingFileOffset()}. */
        public Builder backingFileOffset(long backingFileOffset) {
            this.backingFileOffset = backingFileOffset;
            return this;
        }

        /** See {@link Header#backingFileSize()}. */
        public Builder backingFileSize(int backingFileSize) {
            this.backingFileSize = backingFileSize;
            return this;
        }

        /** See {@link Header#clusterBits()}. */
        public Builder clusterBits(int clusterBits) {
            this.clusterBits = clusterBits;
            return this;
        }

        /** See {@link Header#size()}. */
        public Builder size(long size) {
            this.size = size;
            return this;
        }

        /** See {@link Header#cryptMethod()}. */
        public Builder cryptMethod(int cryptMethod) {
            this.cryptMethod = cryptMethod;
            return this;
        }

        /** See {@link Header#l1Size()}. */
        public Builder l1Size(int l1Size) {
            this.l1Size = l1Size;
            return this;
        }

        /** See {@link Header#l1TableOffset()}. */
        public Builder l1TableOffset(long l1TableOffset) {
            this.l1TableOffset = l1TableOffset;
            return this;
        }

        /** See {@link Header#refcountTableOffset()}. */
        public Builder refcountTableOffset(long refcountTableOffset) {
            this.refcountTableOffset = refcountTableOffset;
            return this;
        }

        /** See {@link Header#refcountTableClusters()}. */
        public Builder refcountTableClusters(int refcountTableClusters) {
            this.refcountTableClusters = refcountTableClusters;
            return this;
        }

        /** See {@link Header#nbSnapshots()}. */
        public Builder nbSnapshots(int nbSnapshots) {
            this.nbSnapshots = nbSnapshots;
            return this;
        }

        /** See {@link Header#snapshotsOffset()}. */
        public Builder snapshotsOffset(long snapshotsOffset) {
            this.snapshotsOffset = snapshotsOffset;
            return this;
        }

        /** See {@link Header#features()}. */
        public Builder features(FeatureBits features) {
            this.features = features;
            return this;
        }

        /** See {@link Header#refcountOrder()}. */
        public Builder refcountOrder(int refcountOrder) {
            this.refcountOrder = refcountOrder;
            return this;
        }

        /** See {@link Header#headerLength()}. */
        public Builder headerLength(int headerLength) {
            this.headerLength = headerLength;
            return this;
        }

        /** See {@link Header#compressionType()}. */
        public Builder compressionType(int compressionType) {
            this.compressionType = compressionType;
            return this;
        }

        /** See {@link Header#extensions()}. */
        public Builder extensions(List<HeaderExtension> extensions) {
            this.extensions = extensions;
            return this;
        }

        /** See {@link Header#backingFile()}. */
        public Builder backingFile(Optional<String> backingFile) {
            this.backingFile = backingFile;
            return this;
        }

        /** See {@link Header#backingFormat()}. */
        public Builder backingFormat(Optional<String> backingFormat) {
            this.backingFormat = backingFormat;
            return this;
        }

        /** See {@link Header#externalDataFile()}. */
        public Builder externalDataFile(Optional<String> externalDataFile) {
            this.externalDataFile = externalDataFile;
            return this;
        }

        /** See {@link Header#featureNames()}. */
        public Builder featureNames(Map<String, String> featureNames) {
            this.featureNames = featureNames;
            return this;
        }

        /** See {@link Header#bitmapsExtension()}. */
        public Builder bitmapsExtension(Optional<BitmapsExtension> bitmapsExtension) {
            this.bitmapsExtension = bitmapsExtension;
            return this;
        }

        /** The {@link Header} of the values set so far. */
        public Header build() {
            return new Header(this);
        }
    }

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
