package io.qcow2j.restore.hardening;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which bytes of a valid qcow2 file the reader depends on, parsed independently of the library so
 * the fuzz oracle does not share the code it checks.
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
        int version = b.getInt(4);
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        clusterBits = b.getInt(20);
        clusterSize = 1L << clusterBits;
        virtualSize = b.getLong(24);
        int l1Size = b.getInt(36);
        long l1Offset = b.getLong(40);
        long rtOffset = b.getLong(48);
        int rtClusters = b.getInt(56);
        int nbSnapshots = b.getInt(60);
        long snapshotsOffset = b.getLong(64);
        long incompatible = version == 3 ? b.getLong(72) : 0;
        long autoclear = version == 3 ? b.getLong(88) : 0;
        int headerLength = version == 3 ? b.getInt(100) : 72;
        extendedL2 = (incompatible & (1L << 4)) != 0;
        long end = 0;

        // header: the fixed fields, then (v3 > 104 bytes) compression_type and padding
        int fixedEnd = version == 3 && headerLength > 104 ? 105 : headerLength;
        mark(used, 0, fixedEnd);
        regions.add(new Region("header", 0, headerLength));
        addHeaderFields(version, headerLength);

        // extensions up to the end marker, each padded to 8 bytes
        long extEnd = backingOffset != 0 ? backingOffset : clusterSize;
        long pos = headerLength;
        while (pos + 8 <= extEnd) {
            int type = b.getInt((int) pos);
            long len = b.getInt((int) pos + 4) & 0xffffffffL;
            fields.add(new Field("extension type at " + pos, pos, 4));
            fields.add(new Field("extension length at " + pos, pos + 4, 4));
            if (type == 0) {
                mark(used, pos, pos + 8);
                pos += 8;
                break;
            }
            mark(used, pos, pos + 8 + len);
            regions.add(new Region(String.format("extension 0x%08x", type), pos, pos + 8 + len));
            if (type == 0x23852875 && (autoclear & 1) != 0) { // bitmaps: the directory is read
                long dirSize = b.getLong((int) pos + 8 + 8);
                long dirOffset = b.getLong((int) pos + 8 + 16);
                mark(used, dirOffset, dirOffset + dirSize);
                end = Math.max(end, dirOffset + dirSize);
            }
            pos += 8 + ((len + 7) & ~7L);
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
        for (long i = 0; i < rtBytes / 8; i++) {
            long e = b.getLong((int) (rtOffset + 8 * i));
            if (i < 4 || e != 0) {
                fields.add(new Field("refcount table entry " + i, rtOffset + 8 * i, 8));
            }
            if (e != 0) {
                mark(neutral, e, e + clusterSize);
                regions.add(new Region("refcount block " + i, e, e + clusterSize));
                end = Math.max(end, e + clusterSize);
            }
        }

        // L1 table, L2 tables, data
        mark(used, l1Offset, l1Offset + 8L * l1Size);
        regions.add(new Region("L1 table", l1Offset, l1Offset + 8L * l1Size));
        end = Math.max(end, l1Offset + 8L * l1Size);
        int l2Bits = clusterBits - (extendedL2 ? 4 : 3);
        int stride = extendedL2 ? 16 : 8;
        long subcluster = extendedL2 ? clusterSize / 32 : clusterSize;
        for (int i = 0; i < l1Size; i++) {
            long l1e = b.getLong((int) (l1Offset + 8L * i));
            fields.add(new Field("L1 entry " + i, l1Offset + 8L * i, 8));
            long l2 = l1e & 0x00ff_ffff_ffff_fe00L;
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
                long bitmap = extendedL2 ? b.getLong((int) at + 8) : 0;
                if (e != 0 || bitmap != 0 || j < 2) {
                    fields.add(new Field("L2 entry " + i + "/" + j, at, 8));
                    if (extendedL2) {
                        fields.add(new Field("L2 bitmap " + i + "/" + j, at + 8, 8));
                    }
                }
                long visible = Math.min(clusterSize, virtualSize - guest);
                if ((e & (1L << 62)) != 0) {
                    int x = 62 - (clusterBits - 8);
                    long off = e & ((1L << x) - 1);
                    long sectors = ((e >>> x) & ((1L << (62 - x)) - 1)) + 1;
                    long len = sectors * 512 - (off & 511);
                    mark(used, off, off + len);
                    regions.add(new Region("compressed cluster " + guest, off, off + len));
                    end = Math.max(end, off + len);
                    continue;
                }
                long host = e & 0x00ff_ffff_ffff_fe00L;
                if (host == 0) {
                    continue;
                }
                if (extendedL2) {
                    int alloc = (int) bitmap;
                    for (int s = 0; s < 32; s++) {
                        long from = s * subcluster;
                        if ((alloc >>> s & 1) != 0 && from < visible) {
                            long to = Math.min(visible, from + subcluster);
                            mark(used, host + from, host + to);
                            end = Math.max(end, host + to);
                        }
                    }
                    regions.add(new Region("data cluster " + guest, host, host + visible));
                } else if ((e & 1) == 0) {
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
        fields.add(new Field("magic", 0, 4));
        fields.add(new Field("version", 4, 4));
        fields.add(new Field("backing_file_offset", 8, 8));
        fields.add(new Field("backing_file_size", 16, 4));
        fields.add(new Field("cluster_bits", 20, 4));
        fields.add(new Field("size", 24, 8));
        fields.add(new Field("crypt_method", 32, 4));
        fields.add(new Field("l1_size", 36, 4));
        fields.add(new Field("l1_table_offset", 40, 8));
        fields.add(new Field("refcount_table_offset", 48, 8));
        fields.add(new Field("refcount_table_clusters", 56, 4));
        fields.add(new Field("nb_snapshots", 60, 4));
        fields.add(new Field("snapshots_offset", 64, 8));
        if (version == 3) {
            fields.add(new Field("incompatible_features", 72, 8));
            fields.add(new Field("compatible_features", 80, 8));
            fields.add(new Field("autoclear_features", 88, 8));
            fields.add(new Field("refcount_order", 96, 4));
            fields.add(new Field("header_length", 100, 4));
            if (headerLength > 104) {
                fields.add(new Field("compression_type", 104, 1));
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
