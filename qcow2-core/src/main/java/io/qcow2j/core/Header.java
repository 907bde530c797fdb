package io.qcow2j.core;

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

    public static final int MAGIC = 0x514649fb; // "QFI\xfb"
    public static final int V2_LENGTH = 72;
    public static final int V3_MIN_LENGTH = 104;
    public static final int MIN_CLUSTER_BITS = 9;
    public static final int MAX_CLUSTER_BITS = 21;
    public static final int MAX_REFCOUNT_ORDER = 6;
    public static final int MAX_BACKING_FILE_NAME = 1023;
    public static final int COMPRESSION_ZLIB = 0;
    public static final int COMPRESSION_ZSTD = 1;
    /** Byte offset of the compression_type field (version 3 headers of 112 bytes and more). */
    public static final int COMPRESSION_TYPE_OFFSET = 104;
    /** qemu's limit on the L1 table (QCOW_MAX_L1_SIZE): 32 MiB of entries. */
    public static final long MAX_L1_BYTES = 32L << 20;
    /** qemu's limit on the refcount table (QCOW_MAX_REFTABLE_SIZE): 8 MiB. */
    public static final long MAX_REFTABLE_BYTES = 8L << 20;
    /** qemu's limit on internal snapshots (QCOW_MAX_SNAPSHOTS). */
    public static final int MAX_SNAPSHOTS = 65536;
    /** Extended L2 entries need at least 16 KiB clusters (512-byte subclusters). */
    public static final int MIN_EXTENDED_L2_CLUSTER_BITS = 14;

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
        if (fileSize < V2_LENGTH) {
            throw new InvalidImageException(name, "header", 0,
                    "file is " + fileSize + " bytes, too short for a qcow2 header (truncated image?)");
        }
        ByteBuffer fixed = ByteBuffer.allocate((int) Math.min(fileSize, 512)).order(ByteOrder.BIG_ENDIAN);
        src.readFully(fixed, 0, "header");
        fixed.flip();
        int magic = fixed.getInt(0);
        if (magic != MAGIC) {
            throw new InvalidImageException(name, "header", 0,
                    String.format("not a qcow2 image (magic 0x%08x, expected 0x%08x 'QFI\\xfb')", magic, MAGIC));
        }
        int version = fixed.getInt(4);
        if (version != 2 && version != 3) {
            throw new InvalidImageException(name, "header", 4, "unsupported qcow2 version " + u32(version)
                    + " (only 2 and 3 exist)");
        }
        long backingFileOffset = fixed.getLong(8);
        int backingFileSize = fixed.getInt(16);
        int clusterBits = fixed.getInt(20);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw new InvalidImageException(name, "header", 20, "cluster_bits " + u32(clusterBits)
                    + " out of range " + MIN_CLUSTER_BITS + ".." + MAX_CLUSTER_BITS);
        }
        long clusterSize = 1L << clusterBits;
        long size = fixed.getLong(24);
        int cryptMethod = fixed.getInt(32);
        int l1Size = fixed.getInt(36);
        long l1TableOffset = fixed.getLong(40);
        long refcountTableOffset = fixed.getLong(48);
        int refcountTableClusters = fixed.getInt(56);
        int nbSnapshots = fixed.getInt(60);
        long snapshotsOffset = fixed.getLong(64);

        long incompatible = 0, compatible = 0, autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_LENGTH;
        int compressionType = COMPRESSION_ZLIB;
        if (version == 3) {
            if (fixed.limit() < V3_MIN_LENGTH) {
                throw new InvalidImageException(name, "header", 0,
                        "file ends inside the version 3 header (truncated image?)");
            }
            incompatible = fixed.getLong(72);
            compatible = fixed.getLong(80);
            autoclear = fixed.getLong(88);
            refcountOrder = fixed.getInt(96);
            headerLength = fixed.getInt(100);
            if (u32(headerLength) < V3_MIN_LENGTH) {
                throw new InvalidImageException(name, "header", 100,
                        "header_length " + u32(headerLength) + " is less than " + V3_MIN_LENGTH);
            }
            if (u32(headerLength) > clusterSize) {
                throw new InvalidImageException(name, "header", 100,
                        "header_length " + u32(headerLength) + " exceeds the cluster size " + clusterSize);
            }
            if (headerLength % 8 != 0) {
                throw new InvalidImageException(name, "header", 100,
                        "header_length " + headerLength + " is not a multiple of 8");
            }
            if (headerLength > COMPRESSION_TYPE_OFFSET) {
                if (fixed.limit() <= COMPRESSION_TYPE_OFFSET) {
                    throw new InvalidImageException(name, "header", COMPRESSION_TYPE_OFFSET,
                            "file ends inside the header (truncated image?)");
                }
                compressionType = fixed.get(COMPRESSION_TYPE_OFFSET) & 0xff;
            }
        }
        if (u32(refcountOrder) > MAX_REFCOUNT_ORDER) {
            throw new InvalidImageException(name, "header", 96,
                    "refcount_order " + u32(refcountOrder) + " exceeds " + MAX_REFCOUNT_ORDER);
        }
        if (backingFileOffset < 0 || backingFileOffset > clusterSize) {
            throw new InvalidImageException(name, "header", 8, "backing_file_offset " + Long.toUnsignedString(
                    backingFileOffset) + " lies past the first cluster (" + clusterSize + " bytes)");
        }
        if (backingFileOffset != 0 && u32(backingFileSize) > MAX_BACKING_FILE_NAME) {
            throw new InvalidImageException(name, "header", 16, "backing file name length " + u32(backingFileSize)
                    + " exceeds " + MAX_BACKING_FILE_NAME);
        }

        // Extensions and the backing file name all live in the first cluster.
        long extEnd = backingFileOffset != 0 ? backingFileOffset : clusterSize;
        int firstClusterLen = (int) Math.min(clusterSize, fileSize);
        ByteBuffer first = ByteBuffer.allocate(firstClusterLen).order(ByteOrder.BIG_ENDIAN);
        src.readFully(first, 0, "header");
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
            if (pos + 8 > extEnd) {
                throw new InvalidImageException(name, "header extension", pos,
                        "header extension area runs past " + extEnd + " without an end marker");
            }
            if (pos + 8 > first.limit()) {
                throw new InvalidImageException(name, "header extension", pos,
                        "file ends inside the header extensions (truncated image?)");
            }
            int type = first.getInt((int) pos);
            long len = u32(first.getInt((int) pos + 4));
            if (type == HeaderExtension.END) {
                break;
            }
            long dataStart = pos + 8;
            long padded = (len + 7) & ~7L;
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
                case HeaderExtension.BACKING_FORMAT -> {
                    if (len >= 16) {
                        throw new InvalidImageException(name, "backing format extension", pos,
                                "backing file format name of " + len + " bytes is too long (limit 15)");
                    }
                    backingFormat = Optional.of(string(first, dataStart, (int) len));
                }
                case HeaderExtension.FEATURE_NAME_TABLE -> readFeatureNames(first, dataStart, (int) len, featureNames);
                case HeaderExtension.EXTERNAL_DATA_FILE -> dataFile = Optional.of(string(first, dataStart, (int) len));
                case HeaderExtension.BITMAPS -> {
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
            throw new InvalidImageException(name, "header", 72, "version 2 image with feature bits");
        }
        long unknown = features.unknownIncompatible();
        if (unknown != 0) {
            throw new InvalidImageException(name, "header", 72, "unsupported incompatible feature(s): "
                    + String.join(", ", FeatureBits.names(FeatureBits.Kind.INCOMPATIBLE, unknown, featureNames)));
        }
        if (features.corrupt() && !options.allowCorrupt()) {
            throw new InvalidImageException(name, "header", 72,
                    "image is marked corrupt by qemu (incompatible feature bit 1); refusing to read it"
                            + " (override: --force-corrupt / OpenOptions.allowCorrupt)");
        }
        if (features.externalDataFile()) {
            throw new InvalidImageException(name, "header", 72, "image keeps its data in an external data file"
                    + externalDataFile.map(f -> " ('" + f + "')").orElse("")
                    + "; a backup image must be standalone, qcow2j does not open other files");
        }
        if (cryptMethod != 0) {
            String method = switch (cryptMethod) {
                case 1 -> "AES";
                case 2 -> "LUKS";
                default -> "unknown method " + u32(cryptMethod);
            };
            throw new InvalidImageException(name, "header", 32, "image is encrypted (" + method
                    + "); encrypted images are not supported");
        }
        if (compressionType != COMPRESSION_ZLIB && compressionType != COMPRESSION_ZSTD) {
            throw new InvalidImageException(name, "header", COMPRESSION_TYPE_OFFSET,
                    "unknown compression_type " + compressionType);
        }
        if (compressionType == COMPRESSION_ZLIB && features.compressionType()) {
            throw new InvalidImageException(name, "header", 72,
                    "compression type feature bit is set but compression_type is zlib (0)");
        }
        if (compressionType != COMPRESSION_ZLIB && !features.compressionType()) {
            throw new InvalidImageException(name, "header", COMPRESSION_TYPE_OFFSET,
                    "compression_type " + compressionType + " requires the compression type feature bit");
        }
        if (features.extendedL2() && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new InvalidImageException(name, "header", 20, "extended L2 entries need clusters of at least "
                    + (1 << MIN_EXTENDED_L2_CLUSTER_BITS) + " bytes, cluster size is " + clusterSize());
        }
        if (size < 0) {
            throw new InvalidImageException(name, "header", 24, "virtual size " + Long.toUnsignedString(size)
                    + " is too large");
        }
        // refcount table
        if (refcountTableClusters == 0) {
            throw new InvalidImageException(name, "header", 56, "refcount_table_clusters is 0: no refcount table");
        }
        if (u32(refcountTableClusters) * clusterSize() > MAX_REFTABLE_BYTES) {
            throw new InvalidImageException(name, "header", 56, "refcount table of " + u32(refcountTableClusters)
                    + " clusters exceeds qemu's limit of " + MAX_REFTABLE_BYTES + " bytes");
        }
        checkTable(name, "refcount table", 48, refcountTableOffset, u32(refcountTableClusters) * clusterSize(),
                fileSize);
        // L1 table
        if (u32(l1Size) * 8 > MAX_L1_BYTES) {
            throw new InvalidImageException(name, "header", 36, "l1_size " + u32(l1Size)
                    + " exceeds qemu's limit of " + MAX_L1_BYTES / 8 + " entries");
        }
        long required = requiredL1Entries();
        if (u32(l1Size) < required) {
            throw new InvalidImageException(name, "header", 36, "l1_size " + u32(l1Size)
                    + " is too small for the virtual size " + size + " (needs " + required + " entries)");
        }
        if (l1Size != 0) {
            checkTable(name, "L1 table", 40, l1TableOffset, u32(l1Size) * 8, fileSize);
        }
        // snapshots
        if (u32(nbSnapshots) > MAX_SNAPSHOTS) {
            throw new InvalidImageException(name, "header", 60, "nb_snapshots " + u32(nbSnapshots)
                    + " exceeds qemu's limit of " + MAX_SNAPSHOTS);
        }
        if (nbSnapshots != 0 && (snapshotsOffset & (clusterSize() - 1)) != 0) {
            throw new InvalidImageException(name, "header", 64, "snapshots_offset " + Long.toUnsignedString(
                    snapshotsOffset) + " is not cluster aligned");
        }
        if (nbSnapshots != 0 && (snapshotsOffset < 0 || snapshotsOffset >= fileSize)) {
            throw new InvalidImageException(name, "header", 64, "snapshot table at " + Long.toUnsignedString(
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
        for (int p = 0; p + 48 <= len; p += 48) {
            int base = (int) start + p;
            int type = b.get(base) & 0xff;
            int bit = b.get(base + 1) & 0xff;
            if (type > 2 || bit > 63) {
                continue;
            }
            FeatureBits.Kind kind = FeatureBits.Kind.values()[type];
            out.put(kind + ":" + bit, string(b, base + 2, 46));
        }
    }

    private static BitmapsExtension readBitmaps(String name, ByteBuffer b, long extPos, long start, long len,
            long clusterSize, long fileSize) throws InvalidImageException {
        if (len < 24) {
            throw new InvalidImageException(name, "bitmaps extension", extPos,
                    "bitmaps extension is " + len + " bytes, expected at least 24");
        }
        int nb = b.getInt((int) start);
        int reserved = b.getInt((int) start + 4);
        long dirSize = b.getLong((int) start + 8);
        long dirOffset = b.getLong((int) start + 16);
        if (reserved != 0) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "reserved field is not zero");
        }
        if (nb == 0 || u32(nb) > 65535) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "nb_bitmaps " + u32(nb)
                    + " out of range 1..65535");
        }
        if (dirSize <= 0 || dirSize > (64L << 20)) {
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

    static long u32(int v) {
        return v & 0xffffffffL;
    }
}
