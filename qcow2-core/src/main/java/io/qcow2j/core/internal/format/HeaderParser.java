package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.UnsupportedImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Reads the qcow2 header (version 2 or 3) and its extensions into a {@link Header}, checked against
 * the specification. Only structural rules that need nothing but the header and the file size are
 * checked here; tables are checked as they are read. Internal, not API.
 */
public final class HeaderParser {
    /** Bytes read to decode the fixed fields: the longest header qcow2j knows, with room to spare. */
    private static final int FIXED_FIELDS_READ = 512;

    private HeaderParser() {
    }

    /**
     * Reads and validates the header of {@code src}.
     *
     * @throws InvalidImageException for anything that is not a valid qcow2 header, and
     *         {@link UnsupportedImageException} for a valid one qcow2j refuses to read
     */
    public static Header read(ByteSource src, OpenOptions options) throws IOException {
        return read(src, options, true);
    }

    /**
     * As {@link #read}, for a consistency check: a refcount table that runs past the end of the file
     * is accepted, as qemu's open accepts it (reading the missing part as zeros, so its check then
     * reports every cluster's refcount as wrong) instead of failing to check the image at all.
     */
    public static Header readForCheck(ByteSource src, OpenOptions options) throws IOException {
        return read(src, options, false);
    }

    private static Header read(ByteSource src, OpenOptions options, boolean refcountTableInFile) throws IOException {
        String name = src.name();
        long fileSize = src.size();
        if (fileSize < V2_HEADER_LENGTH) {
            throw new InvalidImageException(name, "header", HEADER_OFFSET,
                    "file is " + fileSize + " bytes, too short for a qcow2 header (truncated image?)");
        }
        ByteBuffer fixed = ByteBuffer.allocate((int) Math.min(fileSize, FIXED_FIELDS_READ))
                .order(ByteOrder.BIG_ENDIAN);
        src.readFully(fixed, HEADER_OFFSET, "header");
        fixed.flip();
        int magic = fixed.getInt(HDR_MAGIC);
        if (magic != MAGIC) {
            throw new InvalidImageException(name, "header", HDR_MAGIC,
                    String.format("not a qcow2 image (magic 0x%08x, expected 0x%08x 'QFI\\xfb')", magic, MAGIC));
        }
        int version = fixed.getInt(HDR_VERSION);
        if (version != 2 && version != 3) {
            throw new InvalidImageException(name, "header", HDR_VERSION, "unsupported qcow2 version "
                    + u32(version) + " (only 2 and 3 exist)");
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
            throw new InvalidImageException(name, "header", HDR_BACKING_FILE_OFFSET, "backing_file_offset "
                    + Long.toUnsignedString(backingFileOffset) + " lies past the first cluster (" + clusterSize
                    + " bytes)");
        }
        if (backingFileOffset != 0 && u32(backingFileSize) > MAX_BACKING_FILE_NAME) {
            throw new InvalidImageException(name, "header", HDR_BACKING_FILE_SIZE, "backing file name length "
                    + u32(backingFileSize) + " exceeds " + MAX_BACKING_FILE_NAME);
        }

        // Extensions and the backing file name all live in the first cluster.
        long extEnd = backingFileOffset != 0 ? backingFileOffset : clusterSize;
        int firstClusterLen = (int) Math.min(clusterSize, fileSize);
        ByteBuffer first = ByteBuffer.allocate(firstClusterLen).order(ByteOrder.BIG_ENDIAN);
        src.readFully(first, HEADER_OFFSET, "header");
        first.flip();
        HeaderExtensions ext = HeaderExtensions.read(name, first, headerLength, extEnd, autoclear, clusterSize,
                fileSize);

        Optional<String> backingFile = Optional.empty();
        if (backingFileOffset != 0 && backingFileSize != 0) {
            if (backingFileOffset + u32(backingFileSize) > first.limit()) {
                throw new InvalidImageException(name, "backing file name", backingFileOffset,
                        "backing file name runs past the first cluster or the end of the file");
            }
            backingFile = Optional.of(HeaderExtensions.string(first, backingFileOffset, backingFileSize));
        }

        FeatureBits features = new FeatureBits(incompatible, compatible, autoclear);
        Header h = Header.builder().version(version).backingFileOffset(backingFileOffset)
                .backingFileSize(backingFileSize).clusterBits(clusterBits).size(size).cryptMethod(cryptMethod)
                .l1Size(l1Size).l1TableOffset(l1TableOffset).refcountTableOffset(refcountTableOffset)
                .refcountTableClusters(refcountTableClusters).nbSnapshots(nbSnapshots).snapshotsOffset(snapshotsOffset)
                .features(features).refcountOrder(refcountOrder).headerLength(headerLength)
                .compressionType(compressionType).extensions(ext.all()).backingFile(backingFile)
                .backingFormat(ext.backingFormat()).externalDataFile(ext.dataFile()).featureNames(ext.featureNames())
                .bitmapsExtension(ext.bitmaps()).build();
        validate(h, name, fileSize, options, refcountTableInFile);
        return h;
    }

    private static void validate(Header h, String name, long fileSize, OpenOptions options,
            boolean refcountTableInFile) throws InvalidImageException {
        FeatureBits features = h.features();
        if (h.version() == 2 && features.incompatible() != 0) {
            throw new InvalidImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "version 2 image with feature bits");
        }
        long unknown = features.unknownIncompatible();
        if (unknown != 0) {
            throw new UnsupportedImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "unsupported incompatible feature(s): " + String.join(", ",
                            FeatureBits.names(FeatureBits.Kind.INCOMPATIBLE, unknown, h.featureNames())));
        }
        if (features.corrupt() && !options.allowCorrupt()) {
            throw new InvalidImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "image is marked corrupt by qemu (incompatible feature bit 1); refusing to read it"
                            + " (override: --force-corrupt / OpenOptions.allowCorrupt)");
        }
        if (features.externalDataFile()) {
            throw new UnsupportedImageException(name, "header", HDR_INCOMPATIBLE_FEATURES,
                    "image keeps its data in an external data file"
                            + h.externalDataFile().map(f -> " ('" + f + "')").orElse("")
                            + "; a backup image must be standalone, qcow2j does not open other files");
        }
        if (features.dataFileRaw()) {
            // the bit says the external data file holds the guest data as raw: without one it lies
            throw new InvalidImageException(name, "header", HDR_AUTOCLEAR_FEATURES, "autoclear bit "
                    + FeatureBits.AUTOCLEAR_DATA_FILE_RAW + " (raw external data) is set but the image has no"
                    + " external data file (qemu: \"data-file-raw requires a data file\")");
        }
        int cryptMethod = h.cryptMethod();
        if (cryptMethod != 0) {
            String method = switch (cryptMethod) {
                case 1 -> "AES";
                case 2 -> "LUKS";
                default -> "unknown method " + u32(cryptMethod);
            };
            throw new UnsupportedImageException(name, "header", HDR_CRYPT_METHOD, "image is encrypted (" + method
                    + "); encrypted images are not supported");
        }
        int compressionType = h.compressionType();
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
        if (features.extendedL2() && h.clusterBits() < MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new InvalidImageException(name, "header", HDR_CLUSTER_BITS, "extended L2 entries need clusters"
                    + " of at least " + (1 << MIN_EXTENDED_L2_CLUSTER_BITS) + " bytes, cluster size is "
                    + h.clusterSize());
        }
        if (h.size() < 0) {
            throw new InvalidImageException(name, "header", HDR_SIZE, "virtual size "
                    + Long.toUnsignedString(h.size()) + " is too large");
        }
        validateTables(h, name, fileSize, refcountTableInFile);
    }

    /** The refcount table, the L1 table and the snapshot table, as far as the header describes them. */
    private static void validateTables(Header h, String name, long fileSize, boolean refcountTableInFile)
            throws InvalidImageException {
        long cs = h.clusterSize();
        long refcountTableClusters = u32(h.refcountTableClusters());
        if (refcountTableClusters == 0) {
            throw new InvalidImageException(name, "header", HDR_REFCOUNT_TABLE_CLUSTERS,
                    "refcount_table_clusters is 0: no refcount table");
        }
        if (refcountTableClusters * cs > MAX_REFTABLE_BYTES) {
            throw new InvalidImageException(name, "header", HDR_REFCOUNT_TABLE_CLUSTERS, "refcount table of "
                    + refcountTableClusters + " clusters exceeds qemu's limit of " + MAX_REFTABLE_BYTES + " bytes");
        }
        checkTable(name, cs, "refcount table", HDR_REFCOUNT_TABLE_OFFSET, h.refcountTableOffset(),
                refcountTableClusters * cs, refcountTableInFile ? fileSize : Long.MAX_VALUE);
        long l1Size = u32(h.l1Size());
        if (l1Size * ENTRY_BYTES > MAX_L1_BYTES) {
            throw new InvalidImageException(name, "header", HDR_L1_SIZE, "l1_size " + l1Size
                    + " exceeds qemu's limit of " + MAX_L1_BYTES / ENTRY_BYTES + " entries");
        }
        long required = h.requiredL1Entries();
        if (l1Size < required) {
            throw new InvalidImageException(name, "header", HDR_L1_SIZE, "l1_size " + l1Size
                    + " is too small for the virtual size " + h.size() + " (needs " + required + " entries)");
        }
        if (l1Size != 0) {
            checkTable(name, cs, "L1 table", HDR_L1_TABLE_OFFSET, h.l1TableOffset(), l1Size * ENTRY_BYTES, fileSize);
        }
        long nbSnapshots = u32(h.nbSnapshots());
        long snapshotsOffset = h.snapshotsOffset();
        if (nbSnapshots > MAX_SNAPSHOTS) {
            throw new InvalidImageException(name, "header", HDR_NB_SNAPSHOTS, "nb_snapshots " + nbSnapshots
                    + " exceeds qemu's limit of " + MAX_SNAPSHOTS);
        }
        if (nbSnapshots != 0 && (snapshotsOffset & (cs - 1)) != 0) {
            throw new InvalidImageException(name, "header", HDR_SNAPSHOTS_OFFSET, "snapshots_offset "
                    + Long.toUnsignedString(snapshotsOffset) + " is not cluster aligned");
        }
        if (nbSnapshots != 0 && (snapshotsOffset < 0 || snapshotsOffset >= fileSize)) {
            throw new InvalidImageException(name, "header", HDR_SNAPSHOTS_OFFSET, "snapshot table at "
                    + Long.toUnsignedString(snapshotsOffset) + " lies past the end of the file (" + fileSize
                    + " bytes)");
        }
    }

    /**
     * A table must be cluster aligned, must not overflow and must end inside the file
     * ({@code fileSize}; {@link Long#MAX_VALUE} where it may run past the end).
     */
    private static void checkTable(String name, long clusterSize, String what, long fieldOffset, long offset,
            long length, long fileSize) throws InvalidImageException {
        if ((offset & (clusterSize - 1)) != 0) {
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
}
