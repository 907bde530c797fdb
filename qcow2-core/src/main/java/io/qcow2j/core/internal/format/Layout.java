package io.qcow2j.core.internal.format;

/**
 * Every on-disk offset, size, mask and limit of qcow2 that qcow2j reads, named once, as qemu's
 * {@code qcow2.h} names them for its code: field names follow {@code docs/interop/qcow2.txt}.
 * Offsets of header fields are from the start of the file; offsets of other structures' fields are
 * from the start of their entry. Feature bit numbers are named by
 * {@link io.qcow2j.core.FeatureBits}. Internal, not API.
 */
public final class Layout {
    private Layout() {
    }

    // --- header (spec "Header"): byte offsets of its fields -------------------------------------

    /** The header starts the file. */
    public static final int HEADER_OFFSET = 0;

    /** {@code magic}: "QFI\xfb". */
    public static final int HDR_MAGIC = 0;
    public static final int HDR_VERSION = 4;
    public static final int HDR_BACKING_FILE_OFFSET = 8;
    public static final int HDR_BACKING_FILE_SIZE = 16;
    public static final int HDR_CLUSTER_BITS = 20;
    /** {@code size}: the virtual disk size. */
    public static final int HDR_SIZE = 24;
    public static final int HDR_CRYPT_METHOD = 32;
    public static final int HDR_L1_SIZE = 36;
    public static final int HDR_L1_TABLE_OFFSET = 40;
    public static final int HDR_REFCOUNT_TABLE_OFFSET = 48;
    public static final int HDR_REFCOUNT_TABLE_CLUSTERS = 56;
    public static final int HDR_NB_SNAPSHOTS = 60;
    public static final int HDR_SNAPSHOTS_OFFSET = 64;
    /** {@code incompatible_features} (version 3 from here on). */
    public static final int HDR_INCOMPATIBLE_FEATURES = 72;
    public static final int HDR_COMPATIBLE_FEATURES = 80;
    public static final int HDR_AUTOCLEAR_FEATURES = 88;
    public static final int HDR_REFCOUNT_ORDER = 96;
    public static final int HDR_HEADER_LENGTH = 100;
    /** {@code compression_type}: one byte, present when {@code header_length} is above it. */
    public static final int HDR_COMPRESSION_TYPE = 104;

    /** The header's magic value, "QFI\xfb". */
    public static final int MAGIC = 0x514649fb;
    /** Length of a version 2 header (and of the version 2 part of a version 3 header). */
    public static final int V2_HEADER_LENGTH = 72;
    /** The shortest {@code header_length} of a version 3 header. */
    public static final int V3_MIN_HEADER_LENGTH = 104;
    /** {@code refcount_order} of a version 2 image, which has no such field. */
    public static final int V2_REFCOUNT_ORDER = 4;
    /** {@code compression_type} values. */
    public static final int COMPRESSION_ZLIB = 0;
    public static final int COMPRESSION_ZSTD = 1;

    // --- limits (qemu's, where the spec leaves them open) -----------------------------------------

    public static final int MIN_CLUSTER_BITS = 9;
    public static final int MAX_CLUSTER_BITS = 21;
    public static final int MAX_REFCOUNT_ORDER = 6;
    public static final int MAX_BACKING_FILE_NAME = 1023;
    /** The backing file format name is shorter than 16 bytes. */
    public static final int MAX_BACKING_FORMAT_NAME = 15;
    /** qemu's limit on an L1 table (QCOW_MAX_L1_SIZE): 32 MiB of entries. */
    public static final long MAX_L1_BYTES = 32L << 20;
    /** qemu's limit on the refcount table (QCOW_MAX_REFTABLE_SIZE): 8 MiB. */
    public static final long MAX_REFTABLE_BYTES = 8L << 20;
    /** qemu's limit on internal snapshots (QCOW_MAX_SNAPSHOTS). */
    public static final int MAX_SNAPSHOTS = 65536;
    /** Extended L2 entries need at least 16 KiB clusters (512-byte subclusters). */
    public static final int MIN_EXTENDED_L2_CLUSTER_BITS = 14;

    // --- header extensions (spec "Header extensions") --------------------------------------------

    /** Each extension starts with its type (u32) and its data length (u32). */
    public static final int EXT_TYPE = 0;
    public static final int EXT_DATA_LENGTH = 4;
    public static final int EXT_HEADER_LENGTH = 8;
    /** Extension data is padded to a multiple of 8 bytes. */
    public static final int EXT_ALIGNMENT = 8;
    public static final int EXT_END = 0;
    public static final int EXT_BACKING_FORMAT = 0xe2792aca;
    public static final int EXT_FEATURE_NAME_TABLE = 0x6803f857;
    public static final int EXT_BITMAPS = 0x23852875;
    public static final int EXT_FULL_DISK_ENCRYPTION = 0x0537be77;
    public static final int EXT_EXTERNAL_DATA_FILE = 0x44415441;

    /** A feature name table entry: type (1 byte), bit number (1 byte), name (46 bytes). */
    public static final int FEATURE_NAME_ENTRY_LENGTH = 48;
    public static final int FEATURE_NAME_TYPE = 0;
    public static final int FEATURE_NAME_BIT = 1;
    public static final int FEATURE_NAME = 2;
    public static final int FEATURE_NAME_LENGTH = 46;

    /** The bitmaps extension's fields: nb_bitmaps, reserved, directory size and offset. */
    public static final int BITMAPS_EXT_NB_BITMAPS = 0;
    public static final int BITMAPS_EXT_RESERVED = 4;
    public static final int BITMAPS_EXT_DIRECTORY_SIZE = 8;
    public static final int BITMAPS_EXT_DIRECTORY_OFFSET = 16;
    public static final int BITMAPS_EXT_LENGTH = 24;
    /** qemu's limit on persistent bitmaps (QCOW2_MAX_BITMAPS). */
    public static final int MAX_BITMAPS = 65535;
    /** qemu's limit on the bitmap directory (QCOW2_MAX_BITMAP_DIRECTORY_SIZE). */
    public static final long MAX_BITMAP_DIRECTORY_SIZE = 64L << 20;

    // --- L1 table, L2 tables (spec "Cluster mapping") --------------------------------------------

    /** Bytes of an L1 entry, a standard L2 entry and a refcount table entry. */
    public static final int ENTRY_BYTES = 8;
    /** Bits 9..55 of an L1 entry: the L2 table's offset. */
    public static final long L1_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Bits 0..8 and 56..62 of an L1 entry are reserved. */
    public static final long L1_RESERVED = 0x7f00_0000_0000_01ffL;
    /** Bit 63 of L1 and L2 entries: refcount is exactly one (OFLAG_COPIED). */
    public static final long COPIED = 1L << 63;
    /** Bit 62 of an L2 entry: the cluster is compressed. */
    public static final long L2_COMPRESSED = 1L << 62;
    /** Bit 0 of a standard L2 entry: the cluster reads as zeros (version 3). */
    public static final long L2_ZERO = 1L;
    /** Bits 9..55 of a standard L2 entry: the host cluster offset. */
    public static final long L2_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Bits 1..8 and 56..61 of a standard L2 entry are reserved. */
    public static final long L2_STANDARD_RESERVED = 0x3f00_0000_0000_01feL;

    /** An extended L2 entry is the descriptor followed by the subcluster bitmap word. */
    public static final int EXT_L2_BITMAP = 8;
    /** Subclusters per cluster with extended L2 entries. */
    public static final int SUBCLUSTERS = 32;
    /** log2 of {@link #SUBCLUSTERS}. */
    public static final int SUBCLUSTER_BITS = 5;
    /** Bits 0..31 of the subcluster bitmap: allocated subclusters. */
    public static final long SUBCLUSTER_ALLOC_MASK = 0xffff_ffffL;
    /** Bits 32..63 of the subcluster bitmap: subclusters that read as zeros. */
    public static final int SUBCLUSTER_ZERO_SHIFT = 32;

    /** Compressed clusters are stored in whole sectors of this size. */
    public static final int SECTOR = 512;
    /** A compressed cluster's host offset must fit in 56 bits, as qemu can address no more. */
    public static final int MAX_HOST_OFFSET_BITS = 56;

    /**
     * Where the compressed cluster descriptor splits (spec: {@code x = 62 - (cluster_bits - 8)}):
     * host offset in bits 0..x-1, additional 512-byte sectors in bits x..61.
     */
    public static int compressedOffsetBits(int clusterBits) {
        return 62 - (clusterBits - 8);
    }

    // --- refcounts (spec "Host cluster management") ----------------------------------------------

    /** Bits 0..8 of a refcount table entry are reserved. */
    public static final long REFTABLE_RESERVED = 0x1ffL;
    /** Bits 9..63 of a refcount table entry: the refcount block's offset. */
    public static final long REFTABLE_OFFSET_MASK = 0xffff_ffff_ffff_fe00L;

    // --- internal snapshots (spec "Snapshots") ---------------------------------------------------

    public static final int SNAPSHOT_L1_TABLE_OFFSET = 0;
    public static final int SNAPSHOT_L1_SIZE = 8;
    public static final int SNAPSHOT_ID_STR_SIZE = 12;
    public static final int SNAPSHOT_NAME_SIZE = 14;
    public static final int SNAPSHOT_EXTRA_DATA_SIZE = 36;
    /** The fixed part of a snapshot table entry, before its extra data, id and name. */
    public static final int SNAPSHOT_HEADER_LENGTH = 40;
    /** Snapshot table entries start at multiples of 8 bytes. */
    public static final int SNAPSHOT_ALIGNMENT = 8;
    /** qemu's limit on a snapshot's extra data (QCOW_MAX_SNAPSHOT_EXTRA_DATA). */
    public static final int MAX_SNAPSHOT_EXTRA_DATA = 1024;
    /** qemu's limit on the snapshot table (QCOW_MAX_SNAPSHOTS_SIZE). */
    public static final long MAX_SNAPSHOT_TABLE_BYTES = 1024L * MAX_SNAPSHOTS;
    /** Extra data a version 3 snapshot must have (vm_state_size_large and disk_size). */
    public static final int V3_MIN_SNAPSHOT_EXTRA_DATA = 16;

    // --- persistent bitmaps (spec "Bitmaps") -----------------------------------------------------

    public static final int BITMAP_TABLE_OFFSET = 0;
    public static final int BITMAP_TABLE_SIZE = 8;
    public static final int BITMAP_FLAGS = 12;
    public static final int BITMAP_TYPE = 16;
    public static final int BITMAP_GRANULARITY_BITS = 17;
    public static final int BITMAP_NAME_SIZE = 18;
    public static final int BITMAP_EXTRA_DATA_SIZE = 20;
    /** The fixed part of a bitmap directory entry, before its extra data and name. */
    public static final int BITMAP_HEADER_LENGTH = 24;
    /** Bitmap directory entries are padded to a multiple of 8 bytes. */
    public static final int BITMAP_ALIGNMENT = 8;
    /** Only bits 0 (in_use) and 1 (auto) of a directory entry's flags are defined. */
    public static final int BITMAP_RESERVED_FLAGS = 0xffff_fffc;
    public static final int BITMAP_FLAG_IN_USE = 1;
    public static final int BITMAP_TYPE_DIRTY_TRACKING = 1;
    /** qemu's limits on a bitmap (BME_MAX_*). */
    public static final long MAX_BITMAP_TABLE_SIZE = 0x800_0000L;
    public static final long MAX_BITMAP_PHYS_SIZE = 0x2000_0000L;
    public static final int MIN_BITMAP_GRANULARITY_BITS = 9;
    public static final int MAX_BITMAP_GRANULARITY_BITS = 31;
    public static final int MAX_BITMAP_NAME_SIZE = 1023;
    /** Bits 1..8 and 56..63 of a bitmap table entry are reserved. */
    public static final long BITMAP_ENTRY_RESERVED = 0xff00_0000_0000_01feL;
    /** Bits 9..55 of a bitmap table entry: the data cluster's offset. */
    public static final long BITMAP_ENTRY_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Bit 0 of a bitmap table entry without an offset: the cluster reads as all ones. */
    public static final long BITMAP_ENTRY_ALL_ONES = 1L;

    /** A 32-bit field as the unsigned value the spec means. */
    public static long u32(int v) {
        return v & 0xffffffffL;
    }
}
