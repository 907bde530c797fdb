package io.qcow2j.core;

import static io.qcow2j.core.format.Layout.*;

import io.qcow2j.core.format.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The qcow2 header (version 2 or 3) with its extensions, decoded and checked against the
 * specification. Every field keeps the spec's name. Only structural rules that need nothing but
 * the header and the file size are checked here; tables are checked by {@link Qcow2Image}.
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

    /** The bitmaps header extension: number of bitmaps and where the directory lives. */
    public record BitmapsExtension(int nbBitmaps, long directorySize, long directoryOffset) {
    }

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

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** Number of L1 entries needed to map {@link #size()}. */
    public long requiredL1Entries() {
        long perL1 = clusterSize() << l2Bits(); // bytes mapped by one L2 table
        return ceilDiv(size, perL1);
    }

    static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }

    /**
     * Reads and validates the header of {@code src}.
     *
     * @throws InvalidImageException for anything that is not a valid, supported qcow2 header
     */
    public static Header read(ByteSource src, OpenOptions options) throws IOException {
        String name = src.name();
        long fileSize = src.size();
        if (fileSize < V2_HEADER_LENGTH) {
            throw new InvalidImageException(name, "header", HEADER_OFFSET,
                    "file is " + fileSize + " bytes, too short for a qcow2 header (truncated image?)");
        }
        ByteBuffer fixed = ByteBuffer.allocate((int) Math.min(fileSize, 512)).order(ByteOrder.BIG_ENDIAN);
        src.readFully(fixed, HEADER_OFFSET, "header");
        fixed.flip();
        int magic = fixed.getInt(HDR_MAGIC);
        if (magic != MAGIC) {
            throw new InvalidImageException(name, "header", HDR_MAGIC,
                    String.format("not a qcow2 image (magic 0x%08x, expected 0x%08x 'QFI\\xfb')", magic, MAGIC));
        }
        int version = fixed.getInt(HDR_VERSION);
        if (version != 2 && version != 3) {
            throw new InvalidImageException(name, "header", HDR_VERSION, "unsupported qcow2 version " + u32(version)
                    + " (only 2 and 3 exist)");
        }
        long backingFileOffset = fixed.getLong(HDR_BACKING_FILE_OFFSET);
        int backingFileSize = fixed.getInt(HDR_BACKING_FILE_SIZE);
        int clusterBits = fixed.getInt(HDR_CLUSTER_BITS);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw new InvalidImageException(name, "header", HDR_CLUSTER_BITS, "cluster_bits " + u32(clusterBits)
                    + " out of range " + MIN_CLUSTER_BITS + ".." + MAX_CLUSTER_BITS);
        }
        long clusterSize = 1L << clusterBits;
        long size = fixed.getLong(HDR_SIZE);
        int cryptMethod = fixed.getInt(HDR_CRYPT_METHOD);
        int l1Size = fixed.getInt(HDR_L1_SIZE);
        long l1TableOffset = fixed.getLong(HDR_L1_TABLE_OFFSET);
        long refcountTableOffset = fixed.getLong(HDR_REFCOUNT_TABLE_OFFSET);
        int refcountTableClusters = fixed.getInt(HDR_REFCOUNT_TABLE_CLUSTERS);
        int nbSnapshots = fixed.getInt(HDR_NB_SNAPSHOTS);
        long snapshotsOffset = fixed.getLong(HDR_SNAPSHOTS_OFFSET);

        long incompatible = 0, compatible = 0, autoclear = 0;
        int refcountOrder = V2_REFCOUNT_ORDER;
        int headerLength = V2_HEADER_LENGTH;
        int compressionType = COMPRESSION_ZLIB;
        if (version == 3) {
            if (fixed.limit() < V3_MIN_HEADER_LENGTH) {
                throw new InvalidImageException(name, "header", HEADER_OFFSET,
                        "file ends inside the version 3 header (truncated image?)");
            }
            incompatible = fixed.getLong(HDR_INCOMPATIBLE_FEATURES);
            compatible = fixed.getLong(HDR_COMPATIBLE_FEATURES);
            autoclear = fixed.getLong(HDR_AUTOCLEAR_FEATURES);
            refcountOrder = fixed.getInt(HDR_REFCOUNT_ORDER);
            headerLength = fixed.getInt(HDR_HEADER_LENGTH);
            if (u32(headerLength) < V3_MIN_HEADER_LENGTH) {
                throw new InvalidImageException(name, "header", HDR_HEADER_LENGTH,
                        "header_length " + u32(headerLength) + " is less than " + V3_MIN_HEADER_LENGTH);
            }
            if (u32(headerLength) > clusterSize) {
                throw new InvalidImageException(name, "header", HDR_HEADER_LENGTH,
                        "header_length " + u32(headerLength) + " exceeds the cluster size " + clusterSize);
            }
            if (headerLength % 8 != 0) {
                throw new InvalidImageException(name, "header", HDR_HEADER_LENGTH,
                        "header_length " + headerLength + " is not a multiple of 8");
            }
            if (headerLength > HDR_COMPRESSION_TYPE) {
                if (fixed.limit() <= HDR_COMPRESSION_TYPE) {
                    throw new InvalidImageException(name, "header", HDR_COMPRESSION_TYPE,
                            "file ends inside the header (truncated image?)");
                }
                compressionType = fixed.get(HDR_COMPRESSION_TYPE) & 0xff;
            }
        }
        if (u32(refcountOrder) > MAX_REFCOUNT_ORDER) {
            throw new InvalidImageException(name, "header", HDR_REFCOUNT_ORDER,
                    "refcount_order " + u32(refcountOrder) + " exceeds " + MAX_REFCOUNT_ORDER);
        }
        if (backingFileOffset < 0 || backingFileOffset > clusterSize) {
            throw new InvalidImageException(name, "header", HDR_BACKING_FILE_OFFSET, "backing_file_offset " + Long.toUnsignedString(
                    backingFileOffset) + " lies past the first cluster (" + clusterSize + " bytes)");
        }
        if (backingFileOffset != 0 && u32(backingFileSize) > MAX_BACKING_FILE_NAME) {
            throw new InvalidImageException(name, "header", HDR_BACKING_FILE_SIZE, "backing file name length " + u32(backingFileSize)
                    + " exceeds " + MAX_BACKING_FILE_NAME);
        }

        // Extensions and the backing file name all live in the first cluster.
        long extEnd = backingFileOffset != 0 ? backingFileOffset : clusterSize;
        int firstClusterLen = (int) Math.min(clusterSize, fileSize);
        ByteBuffer first = ByteBuffer.allocate(firstClusterLen).order(ByteOrder.BIG_ENDIAN);
        src.readFully(first, HEADER_OFFSET, "header");
        first.flip();

        List<HeaderExtension> extensions = new ArrayList<>();
        Map<String, String> featureNames = new LinkedHashMap<>();
        Optional<String> backingFormat = Optional.empty();
        Optional<String> dataFile = Optional.empty();
        Optional<BitmapsExtension> bitmaps = Optional.empty();
        long pos = headerLength;
        while (true) {
            if (pos >= extEnd) {
                break; // like qemu: an area filled up to its end needs no end marker
            }
            if (pos + EXT_HEADER_LENGTH > extEnd) {
                throw new InvalidImageException(name, "header extension", pos,
                        "header extension area runs past " + extEnd + " without an end marker");
            }
            if (pos + EXT_HEADER_LENGTH > first.limit()) {
                throw new InvalidImageException(name, "header extension", pos,
                        "file ends inside the header extensions (truncated image?)");
            }
            int type = first.getInt((int) pos + EXT_TYPE);
            long len = u32(first.getInt((int) pos + EXT_DATA_LENGTH));
            if (type == EXT_END) {
                break;
            }
            long dataStart = pos + EXT_HEADER_LENGTH;
            long padded = (len + EXT_ALIGNMENT - 1) / EXT_ALIGNMENT * EXT_ALIGNMENT;
            if (dataStart + len > extEnd || dataStart + padded > extEnd) {
                throw new InvalidImageException(name, "header extension", pos, String.format(
                        "extension 0x%08x of %d bytes runs past the extension area (ends at %d)", type, len, extEnd));
            }
            if (dataStart + len > first.limit()) {
                throw new InvalidImageException(name, "header extension", pos,
                        "file ends inside a header extension (truncated image?)");
            }
            HeaderExtension ext = new HeaderExtension(type, dataStart, (int) len);
            extensions.add(ext);
            switch (type) {
                case EXT_BACKING_FORMAT -> {
                    if (len > MAX_BACKING_FORMAT_NAME) {
                        throw new InvalidImageException(name, "backing format extension", pos, "backing file format"
                                + " name of " + len + " bytes is too long (limit " + MAX_BACKING_FORMAT_NAME + ")");
                    }
                    backingFormat = Optional.of(string(first, dataStart, (int) len));
                }
                case EXT_FEATURE_NAME_TABLE -> readFeatureNames(first, dataStart, (int) len, featureNames);
                case EXT_EXTERNAL_DATA_FILE -> dataFile = Optional.of(string(first, dataStart, (int) len));
                case EXT_BITMAPS -> {
                    // without the autoclear bit the extension is stale and qemu ignores it
                    if ((autoclear & 1L << FeatureBits.AUTOCLEAR_BITMAPS) != 0) {
                        bitmaps = Optional.of(readBitmaps(name, first, pos, dataStart, len, clusterSize, fileSize));
                    }
                }
                default -> {
                    // FDE pointer and unknown extensions: nothing to decode for reading guest data
                }
            }
            pos = dataStart + padded;
        }

        Optional<String> backingFile = Optional.empty();
        if (backingFileOffset != 0 && backingFileSize != 0) {
            if (backingFileOffset + u32(backingFileSize) > first.limit()) {
                throw new InvalidImageException(name, "backing file name", backingFileOffset,
                        "backing file name runs past the first cluster or the end of the file");
            }
            backingFile = Optional.of(string(first, backingFileOffset, backingFileSize));
        }

        FeatureBits features = new FeatureBits(incompatible, compatible, autoclear);
        Header h = new Header(version, backingFileOffset, backingFileSize, clusterBits, size, cryptMethod, l1Size,
                l1TableOffset, refcountTableOffset, refcountTableClusters, nbSnapshots, snapshotsOffset, features,
                refcountOrder, headerLength, compressionType, List.copyOf(extensions), backingFile, backingFormat,
                dataFile, Map.copyOf(featureNames), bitmaps);
        h.validate(name, fileSize, options);
        return h;
    }

    private void validate(String name, long fileSize, OpenOptions options) throws InvalidImageException {
        if (version == 2 && features.incompatible() != 0) {
            throw new InvalidImageException(name, "header", HDR_INCOMPATIBLE_FEATURES, "version 2 image with feature bits");
        }
        long unknown = features.unknownIncompatible();
        if (unknown != 0) {
            throw new UnsupportedImageException(name, "header", HDR_INCOMPATIBLE_FEATURES, "unsupported incompatible feature(s): "
                    + String.join(", ", FeatureBits.names(FeatureBits.Kind.INCOMPATIBLE, unknown, featureNames)));
        }
        if (features.corrupt() && !options.allowCorrupt()) {
            throw new InvalidImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "image is marked corrupt by qemu (incompatible feature bit 1); refusing to read it"
                            + " (override: --force-corrupt / OpenOptions.allowCorrupt)");
        }
        if (features.externalDataFile()) {
            throw new UnsupportedImageException(name, "header", HDR_INCOMPATIBLE_FEATURES, "image keeps its data in an external data file"
                    + externalDataFile.map(f -> " ('" + f + "')").orElse("")
                    + "; a backup image must be standalone, qcow2j does not open other files");
        }
        if (cryptMethod != 0) {
            String method = switch (cryptMethod) {
                case 1 -> "AES";
                case 2 -> "LUKS";
                default -> "unknown method " + u32(cryptMethod);
            };
            throw new UnsupportedImageException(name, "header", HDR_CRYPT_METHOD, "image is encrypted (" + method
                    + "); encrypted images are not supported");
        }
        if (compressionType != COMPRESSION_ZLIB && compressionType != COMPRESSION_ZSTD) {
            throw new InvalidImageException(name, "header", HDR_COMPRESSION_TYPE,
                    "unknown compression_type " + compressionType);
        }
        if (compressionType == COMPRESSION_ZLIB && features.compressionType()) {
            throw new InvalidImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "compression type feature bit is set but compression_type is zlib (0)");
        }
        if (compressionType != COMPRESSION_ZLIB && !features.compressionType()) {
            throw new InvalidImageException(name, "header", HDR_COMPRESSION_TYPE,
                    "compression_type " + compressionType + " requires the compression type feature bit");
        }
        if (features.extendedL2() && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new InvalidImageException(name, "header", HDR_CLUSTER_BITS, "extended L2 entries need clusters of at least "
                    + (1 << MIN_EXTENDED_L2_CLUSTER_BITS) + " bytes, cluster size is " + clusterSize());
        }
        if (size < 0) {
            throw new InvalidImageException(name, "header", HDR_SIZE, "virtual size " + Long.toUnsignedString(size)
                    + " is too large");
        }
        // refcount table
        if (refcountTableClusters == 0) {
            throw new InvalidImageException(name, "header", HDR_REFCOUNT_TABLE_CLUSTERS, "refcount_table_clusters is 0: no refcount table");
        }
        if (u32(refcountTableClusters) * clusterSize() > MAX_REFTABLE_BYTES) {
            throw new InvalidImageException(name, "header", HDR_REFCOUNT_TABLE_CLUSTERS, "refcount table of " + u32(refcountTableClusters)
                    + " clusters exceeds qemu's limit of " + MAX_REFTABLE_BYTES + " bytes");
        }
        checkTable(name, "refcount table", HDR_REFCOUNT_TABLE_OFFSET, refcountTableOffset, u32(refcountTableClusters) * clusterSize(),
                fileSize);
        // L1 table
        if (u32(l1Size) * 8 > MAX_L1_BYTES) {
            throw new InvalidImageException(name, "header", HDR_L1_SIZE, "l1_size " + u32(l1Size)
                    + " exceeds qemu's limit of " + MAX_L1_BYTES / 8 + " entries");
        }
        long required = requiredL1Entries();
        if (u32(l1Size) < required) {
            throw new InvalidImageException(name, "header", HDR_L1_SIZE, "l1_size " + u32(l1Size)
                    + " is too small for the virtual size " + size + " (needs " + required + " entries)");
        }
        if (l1Size != 0) {
            checkTable(name, "L1 table", HDR_L1_TABLE_OFFSET, l1TableOffset, u32(l1Size) * 8, fileSize);
        }
        // snapshots
        if (u32(nbSnapshots) > MAX_SNAPSHOTS) {
            throw new InvalidImageException(name, "header", HDR_NB_SNAPSHOTS, "nb_snapshots " + u32(nbSnapshots)
                    + " exceeds qemu's limit of " + MAX_SNAPSHOTS);
        }
        if (nbSnapshots != 0 && (snapshotsOffset & (clusterSize() - 1)) != 0) {
            throw new InvalidImageException(name, "header", HDR_SNAPSHOTS_OFFSET, "snapshots_offset " + Long.toUnsignedString(
                    snapshotsOffset) + " is not cluster aligned");
        }
        if (nbSnapshots != 0 && (snapshotsOffset < 0 || snapshotsOffset >= fileSize)) {
            throw new InvalidImageException(name, "header", HDR_SNAPSHOTS_OFFSET, "snapshot table at " + Long.toUnsignedString(
                    snapshotsOffset) + " lies past the end of the file (" + fileSize + " bytes)");
        }
    }

    /** A table must be cluster aligned, must not overflow and must end inside the file. */
    private void checkTable(String name, String what, long fieldOffset, long offset, long length, long fileSize)
            throws InvalidImageException {
        if ((offset & (clusterSize() - 1)) != 0) {
            throw new InvalidImageException(name, "header", fieldOffset, what + " offset "
                    + Long.toUnsignedString(offset) + " is not cluster aligned");
        }
        if (offset < 0 || offset > Long.MAX_VALUE - length) {
            throw new InvalidImageException(name, "header", fieldOffset, what + " offset "
                    + Long.toUnsignedString(offset) + " + length " + length + " overflows");
        }
        if (offset == 0) {
            throw new InvalidImageException(name, "header", fieldOffset, what + " overlaps the header (offset 0)");
        }
        if (offset + length > fileSize) {
            throw new InvalidImageException(name, what, offset, what + " of " + length + " bytes ends at "
                    + (offset + length) + ", past the end of the file (" + fileSize + " bytes; truncated image?)");
        }
    }

    private static void readFeatureNames(ByteBuffer b, long start, int len, Map<String, String> out) {
        for (int p = 0; p + FEATURE_NAME_ENTRY_LENGTH <= len; p += FEATURE_NAME_ENTRY_LENGTH) {
            int base = (int) start + p;
            int type = b.get(base + FEATURE_NAME_TYPE) & 0xff;
            int bit = b.get(base + FEATURE_NAME_BIT) & 0xff;
            if (type > 2 || bit > 63) {
                continue;
            }
            FeatureBits.Kind kind = FeatureBits.Kind.values()[type];
            out.put(kind + ":" + bit, string(b, base + FEATURE_NAME, FEATURE_NAME_LENGTH));
        }
    }

    private static BitmapsExtension readBitmaps(String name, ByteBuffer b, long extPos, long start, long len,
            long clusterSize, long fileSize) throws InvalidImageException {
        if (len < BITMAPS_EXT_LENGTH) {
            throw new InvalidImageException(name, "bitmaps extension", extPos,
                    "bitmaps extension is " + len + " bytes, expected at least " + BITMAPS_EXT_LENGTH);
        }
        int nb = b.getInt((int) start + BITMAPS_EXT_NB_BITMAPS);
        int reserved = b.getInt((int) start + BITMAPS_EXT_RESERVED);
        long dirSize = b.getLong((int) start + BITMAPS_EXT_DIRECTORY_SIZE);
        long dirOffset = b.getLong((int) start + BITMAPS_EXT_DIRECTORY_OFFSET);
        if (reserved != 0) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "reserved field is not zero");
        }
        if (nb == 0 || u32(nb) > MAX_BITMAPS) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "nb_bitmaps " + u32(nb)
                    + " out of range 1.." + MAX_BITMAPS);
        }
        if (dirSize <= 0 || dirSize > MAX_BITMAP_DIRECTORY_SIZE) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "bitmap_directory_size "
                    + Long.toUnsignedString(dirSize) + " out of range");
        }
        if ((dirOffset & (clusterSize - 1)) != 0 || dirOffset <= 0 || dirOffset > fileSize - dirSize) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "bitmap_directory_offset "
                    + Long.toUnsignedString(dirOffset) + " is unaligned or lies past the end of the file");
        }
        return new BitmapsExtension(nb, dirSize, dirOffset);
    }

    private static String string(ByteBuffer b, long start, int len) {
        byte[] bytes = new byte[len];
        b.get((int) start, bytes);
        int n = 0;
        while (n < len && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

}
