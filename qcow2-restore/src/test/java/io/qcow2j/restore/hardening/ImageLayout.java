package io.qcow2j.restore.hardening;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.internal.format.Layout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which bytes of a valid qcow2 file the reader depends on, parsed independently of the library so
 * the fuzz oracle does not share the code it checks: the walk is this class's own; only the field
 * offsets and masks come from {@link Layout}, the one table of them.
 *
 * <p>Every byte is classified as {@link Use#UNUSED} (nothing reads it: padding, free clusters, L2
 * entries past the virtual size, data under a zero flag, the file's tail), {@link Use#NEUTRAL}
 * (its position matters but its content cannot change the guest data: refcount blocks) or used.
 * A mutation confined to unused bytes must leave the restored disk identical; a mutation in
 * neutral bytes may be refused but must not change the disk if accepted.
 */
final class ImageLayout {
    /** How the reader depends on a byte. */
    enum Use {
        UNUSED, NEUTRAL, USED
    }

    /** A named byte range [start, end) of the file, for weighting mutations and for reports. */
    record Region(String name, long start, long end) {
        long length() {
            return end - start;
        }
    }

    /** A field mutations overwrite: offset and width (1, 4 or 8 bytes) in the file. */
    record Field(String name, long offset, int width) {
    }

    final long fileSize;
    final int clusterBits;
    final long clusterSize;
    final long virtualSize;
    final boolean extendedL2;
    /** Smallest length the file can be truncated to without cutting anything the reader checks. */
    final long structuralEnd;
    final List<Region> regions = new ArrayList<>();
    final List<Field> fields = new ArrayList<>();
    private final BitSet used = new BitSet();
    private final BitSet neutral = new BitSet();

    private ImageLayout(byte[] img) {
        ByteBuffer b = ByteBuffer.wrap(img);
        fileSize = img.length;
        int version = b.getInt(HDR_VERSION);
        long backingOffset = b.getLong(HDR_BACKING_FILE_OFFSET);
        int backingSize = b.getInt(HDR_BACKING_FILE_SIZE);
        clusterBits = b.getInt(HDR_CLUSTER_BITS);
        clusterSize = 1L << clusterBits;
        virtualSize = b.getLong(HDR_SIZE);
        int l1Size = b.getInt(HDR_L1_SIZE);
        long l1Offset = b.getLong(HDR_L1_TABLE_OFFSET);
        long rtOffset = b.getLong(HDR_REFCOUNT_TABLE_OFFSET);
        int rtClusters = b.getInt(HDR_REFCOUNT_TABLE_CLUSTERS);
        int nbSnapshots = b.getInt(HDR_NB_SNAPSHOTS);
        long snapshotsOffset = b.getLong(HDR_SNAPSHOTS_OFFSET);
        long incompatible = version == 3 ? b.getLong(HDR_INCOMPATIBLE_FEATURES) : 0;
        long autoclear = version == 3 ? b.getLong(HDR_AUTOCLEAR_FEATURES) : 0;
        int headerLength = version == 3 ? b.getInt(HDR_HEADER_LENGTH) : V2_HEADER_LENGTH;
        extendedL2 = (incompatible & (1L << FeatureBits.INCOMPAT_EXTENDED_L2)) != 0;
        long end = 0;

        // header: the fixed fields, then (v3, when header_length covers it) compression_type and padding
        int fixedEnd = version == 3 && headerLength > HDR_COMPRESSION_TYPE ? HDR_COMPRESSION_TYPE + 1 : headerLength;
        mark(used, 0, fixedEnd);
        regions.add(new Region("header", 0, headerLength));
        addHeaderFields(version, headerLength);

        // extensions up to the end marker, each padded to 8 bytes
        long extEnd = backingOffset != 0 ? backingOffset : clusterSize;
        long pos = headerLength;
        while (pos + EXT_HEADER_LENGTH <= extEnd) {
            int type = b.getInt((int) pos + EXT_TYPE);
            long len = Layout.u32(b.getInt((int) pos + EXT_DATA_LENGTH));
            long data = pos + EXT_HEADER_LENGTH;
            fields.add(new Field("extension type at " + pos, pos + EXT_TYPE, 4));
            fields.add(new Field("extension length at " + pos, pos + EXT_DATA_LENGTH, 4));
            if (type == EXT_END) {
                mark(used, pos, data);
                pos = data;
                break;
            }
            mark(used, pos, data + len);
            regions.add(new Region(String.format("extension 0x%08x", type), pos, data + len));
            if (type == EXT_BITMAPS && (autoclear & 1L << FeatureBits.AUTOCLEAR_BITMAPS) != 0) {
                // bitmaps: the directory is read
                long dirSize = b.getLong((int) data + BITMAPS_EXT_DIRECTORY_SIZE);
                long dirOffset = b.getLong((int) data + BITMAPS_EXT_DIRECTORY_OFFSET);
                mark(used, dirOffset, dirOffset + dirSize);
                end = Math.max(end, dirOffset + dirSize);
            }
            pos = data + (len + EXT_ALIGNMENT - 1) / EXT_ALIGNMENT * EXT_ALIGNMENT;
        }
        regions.add(new Region("extension area", headerLength, pos));
        end = Math.max(end, pos);
        if (backingOffset != 0 && backingSize != 0) {
            mark(used, backingOffset, backingOffset + backingSize);
            regions.add(new Region("backing file name", backingOffset, backingOffset + backingSize));
            end = Math.max(end, backingOffset + backingSize);
        }

        // refcount table (parsed whole) and the blocks it names (only their positions matter)
        long rtBytes = (rtClusters & 0xffffffffL) * clusterSize;
        mark(used, rtOffset, rtOffset + rtBytes);
        regions.add(new Region("refcount table", rtOffset, rtOffset + rtBytes));
        end = Math.max(end, rtOffset + rtBytes);
        for (long i = 0; i < rtBytes / ENTRY_BYTES; i++) {
            long at = rtOffset + ENTRY_BYTES * i;
            long e = b.getLong((int) at);
            if (i < 4 || e != 0) {
                fields.add(new Field("refcount table entry " + i, at, ENTRY_BYTES));
            }
            if (e != 0) {
                mark(neutral, e, e + clusterSize);
                regions.add(new Region("refcount block " + i, e, e + clusterSize));
                end = Math.max(end, e + clusterSize);
            }
        }

        // L1 table, L2 tables, data
        long l1End = l1Offset + (long) ENTRY_BYTES * l1Size;
        mark(used, l1Offset, l1End);
        regions.add(new Region("L1 table", l1Offset, l1End));
        end = Math.max(end, l1End);
        int stride = extendedL2 ? ENTRY_BYTES + EXT_L2_BITMAP : ENTRY_BYTES;
        int l2Bits = clusterBits - Integer.numberOfTrailingZeros(stride);
        long subcluster = extendedL2 ? clusterSize / SUBCLUSTERS : clusterSize;
        for (int i = 0; i < l1Size; i++) {
            long at1 = l1Offset + (long) ENTRY_BYTES * i;
            long l1e = b.getLong((int) at1);
            fields.add(new Field("L1 entry " + i, at1, ENTRY_BYTES));
            long l2 = l1e & L1_OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            end = Math.max(end, l2 + clusterSize);
            regions.add(new Region("L2 table " + i, l2, l2 + clusterSize));
            for (int j = 0; j < (1 << l2Bits); j++) {
                long guest = (((long) i << l2Bits) | j) << clusterBits;
                if (guest >= virtualSize) {
                    break; // entries past the virtual size are never read
                }
                long at = l2 + (long) j * stride;
                mark(used, at, at + stride);
                long e = b.getLong((int) at);
                long bitmap = extendedL2 ? b.getLong((int) at + EXT_L2_BITMAP) : 0;
                if (e != 0 || bitmap != 0 || j < 2) {
                    fields.add(new Field("L2 entry " + i + "/" + j, at, ENTRY_BYTES));
                    if (extendedL2) {
                        fields.add(new Field("L2 bitmap " + i + "/" + j, at + EXT_L2_BITMAP, ENTRY_BYTES));
                    }
                }
                long visible = Math.min(clusterSize, virtualSize - guest);
                if ((e & L2_COMPRESSED) != 0) {
                    int x = Layout.compressedOffsetBits(clusterBits);
                    long off = e & ((1L << x) - 1);
                    long sectors = ((e >>> x) & ((1L << (62 - x)) - 1)) + 1;
                    long len = sectors * SECTOR - (off & (SECTOR - 1));
                    mark(used, off, off + len);
                    regions.add(new Region("compressed cluster " + guest, off, off + len));
                    end = Math.max(end, off + len);
                    continue;
                }
                long host = e & L2_OFFSET_MASK;
                if (host == 0) {
                    continue;
                }
                if (extendedL2) {
                    int alloc = (int) bitmap;
                    for (int s = 0; s < SUBCLUSTERS; s++) {
                        long from = s * subcluster;
                        if ((alloc >>> s & 1) != 0 && from < visible) {
                            long to = Math.min(visible, from + subcluster);
                            mark(used, host + from, host + to);
                            end = Math.max(end, host + to);
                        }
                    }
                    regions.add(new Region("data cluster " + guest, host, host + visible));
                } else if ((e & L2_ZERO) == 0) {
                    mark(used, host, host + visible);
                    regions.add(new Region("data cluster " + guest, host, host + visible));
                    end = Math.max(end, host + visible);
                }
            }
        }
        if (nbSnapshots != 0) { // not parsed here: everything from the table on counts as used
            mark(used, snapshotsOffset, fileSize);
            end = fileSize;
        }
        structuralEnd = end;
    }

    static ImageLayout of(byte[] image) {
        return new ImageLayout(image);
    }

    private void addHeaderFields(int version, int headerLength) {
        fields.add(new Field("magic", HDR_MAGIC, 4));
        fields.add(new Field("version", HDR_VERSION, 4));
        fields.add(new Field("backing_file_offset", HDR_BACKING_FILE_OFFSET, 8));
        fields.add(new Field("backing_file_size", HDR_BACKING_FILE_SIZE, 4));
        fields.add(new Field("cluster_bits", HDR_CLUSTER_BITS, 4));
        fields.add(new Field("size", HDR_SIZE, 8));
        fields.add(new Field("crypt_method", HDR_CRYPT_METHOD, 4));
        fields.add(new Field("l1_size", HDR_L1_SIZE, 4));
        fields.add(new Field("l1_table_offset", HDR_L1_TABLE_OFFSET, 8));
        fields.add(new Field("refcount_table_offset", HDR_REFCOUNT_TABLE_OFFSET, 8));
        fields.add(new Field("refcount_table_clusters", HDR_REFCOUNT_TABLE_CLUSTERS, 4));
        fields.add(new Field("nb_snapshots", HDR_NB_SNAPSHOTS, 4));
        fields.add(new Field("snapshots_offset", HDR_SNAPSHOTS_OFFSET, 8));
        if (version == 3) {
            fields.add(new Field("incompatible_features", HDR_INCOMPATIBLE_FEATURES, 8));
            fields.add(new Field("compatible_features", HDR_COMPATIBLE_FEATURES, 8));
            fields.add(new Field("autoclear_features", HDR_AUTOCLEAR_FEATURES, 8));
            fields.add(new Field("refcount_order", HDR_REFCOUNT_ORDER, 4));
            fields.add(new Field("header_length", HDR_HEADER_LENGTH, 4));
            if (headerLength > HDR_COMPRESSION_TYPE) {
                fields.add(new Field("compression_type", HDR_COMPRESSION_TYPE, 1));
            }
        }
    }

    private void mark(BitSet set, long from, long to) {
        long f = Math.max(0, Math.min(from, fileSize));
        long t = Math.max(f, Math.min(to, fileSize));
        set.set((int) f, (int) t);
    }

    /** How the reader depends on the byte at {@code offset} (bytes past the file are unused). */
    Use use(long offset) {
        if (offset >= fileSize) {
            return Use.UNUSED;
        }
        if (used.get((int) offset)) {
            return Use.USED;
        }
        return neutral.get((int) offset) ? Use.NEUTRAL : Use.UNUSED;
    }

    /** The least dependent use of [from, to) is its most dependent byte's. */
    Use use(long from, long to) {
        Use u = Use.UNUSED;
        for (long p = from; p < to; p++) {
            Use x = use(p);
            if (x.ordinal() > u.ordinal()) {
                u = x;
            }
        }
        return u;
    }

    /** Ranges of unused bytes, for aiming mutations at them. */
    List<Region> unusedRegions() {
        BitSet dependent = (BitSet) used.clone();
        dependent.or(neutral);
        List<Region> out = new ArrayList<>();
        int p = dependent.nextClearBit(0);
        while (p < fileSize) {
            int e = dependent.nextSetBit(p);
            int stop = e < 0 ? (int) fileSize : (int) Math.min(e, fileSize);
            out.add(new Region("unused", p, stop));
            p = stop >= fileSize ? (int) fileSize : dependent.nextClearBit(stop);
        }
        return out;
    }
}
