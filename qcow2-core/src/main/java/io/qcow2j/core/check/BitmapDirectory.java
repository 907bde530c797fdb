package io.qcow2j.core.check;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.InvalidImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The persistent dirty bitmaps' directory and tables, decoded with the constraints qemu's
 * {@code bitmap_list_load} and {@code check_dir_entry} apply. A directory or table that breaks
 * them makes qemu's check fail as a whole, so it is an {@link InvalidImageException} here too.
 */
final class BitmapDirectory {
    static final int ENTRY_HEADER = 24;
    static final long MAX_TABLE_SIZE = 0x800_0000L;
    static final long MAX_PHYS_SIZE = 0x2000_0000L;
    static final int MIN_GRANULARITY_BITS = 9;
    static final int MAX_GRANULARITY_BITS = 31;
    static final int MAX_NAME_SIZE = 1023;
    static final int RESERVED_FLAGS = 0xffff_fffc;
    static final int FLAG_IN_USE = 1;
    static final int TYPE_DIRTY_TRACKING = 1;
    /** Bits 1..8 and 56..63 of a bitmap table entry are reserved. */
    static final long TABLE_ENTRY_RESERVED = 0xff00_0000_0000_01feL;
    static final long TABLE_ENTRY_OFFSET = 0x00ff_ffff_ffff_fe00L;
    static final long TABLE_ENTRY_ALL_ONES = 1L;

    /** One directory entry: where its table is and how many 64-bit entries it has. */
    record Bitmap(String name, long entryOffset, long tableOffset, long tableSize) {
    }

    private BitmapDirectory() {
    }

    static List<Bitmap> read(ByteSource src, long fileSize, Header h, Header.BitmapsExtension ext)
            throws IOException {
        String file = src.name();
        long dirOffset = ext.directoryOffset();
        int size = (int) ext.directorySize(); // Header.read bounds it to 64 MiB
        ByteBuffer dir = Reads.read(src, fileSize, dirOffset, size, "bitmap directory");
        long nb = Integer.toUnsignedLong(ext.nbBitmaps());
        List<Bitmap> out = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            long at = dirOffset + pos;
            if (pos + ENTRY_HEADER > size) {
                throw broken(file, at, "entry header runs past the end of the directory");
            }
            if (out.size() + 1 > nb) {
                throw broken(file, at, "more bitmaps than the " + nb + " the header extension announces");
            }
            int p = (int) pos;
            long tableOffset = dir.getLong(p);
            long tableSize = Integer.toUnsignedLong(dir.getInt(p + 8));
            int flags = dir.getInt(p + 12);
            int type = dir.get(p + 16) & 0xff;
            int granularityBits = dir.get(p + 17) & 0xff;
            int nameSize = dir.getShort(p + 18) & 0xffff;
            long extra = Integer.toUnsignedLong(dir.getInt(p + 20));
            long entrySize = (ENTRY_HEADER + nameSize + extra + 7) & ~7L;
            if (pos + entrySize > size) {
                throw broken(file, at, "entry runs past the end of the directory");
            }
            if (extra != 0) {
                throw broken(file, at, "bitmap extra data is not supported (qemu refuses it)");
            }
            String name = new String(dir.array(), p + ENTRY_HEADER, nameSize, StandardCharsets.UTF_8);
            String problem = entryProblem(h, tableOffset, tableSize, flags, type, granularityBits, nameSize);
            if (problem != null) {
                throw broken(file, at, "bitmap '" + name + "': " + problem);
            }
            out.add(new Bitmap(name, at, tableOffset, tableSize));
            pos += entrySize;
        }
        if (out.size() != nb) {
            throw broken(file, dirOffset, "the header extension announces " + nb + " bitmaps, the directory has "
                    + out.size());
        }
        return out;
    }

    private static String entryProblem(Header h, long tableOffset, long tableSize, int flags, int type,
            int granularityBits, int nameSize) {
        long cs = h.clusterSize();
        if (tableSize == 0 || tableSize > MAX_TABLE_SIZE) {
            return "bitmap_table_size " + tableSize + " out of range 1.." + MAX_TABLE_SIZE;
        }
        if (tableOffset == 0 || (tableOffset & (cs - 1)) != 0) {
            return "bitmap_table_offset " + Long.toUnsignedString(tableOffset) + " is 0 or not cluster aligned";
        }
        if (granularityBits < MIN_GRANULARITY_BITS || granularityBits > MAX_GRANULARITY_BITS) {
            return "granularity_bits " + granularityBits + " out of range " + MIN_GRANULARITY_BITS + ".."
                    + MAX_GRANULARITY_BITS;
        }
        if ((flags & RESERVED_FLAGS) != 0) {
            return String.format("reserved flags set (0x%08x)", flags);
        }
        if (nameSize > MAX_NAME_SIZE) {
            return "name of " + nameSize + " bytes exceeds " + MAX_NAME_SIZE;
        }
        if (type != TYPE_DIRTY_TRACKING) {
            return "unknown bitmap type " + type;
        }
        long phys = tableSize * cs;
        if (phys > MAX_PHYS_SIZE) {
            return "bitmap data of " + phys + " bytes exceeds qemu's limit of " + MAX_PHYS_SIZE;
        }
        // a bitmap not marked in use must cover the whole disk; phys * 8 << 31 fits in 64 unsigned bits
        long covered = (phys * 8) << granularityBits;
        if ((flags & FLAG_IN_USE) == 0 && Long.compareUnsigned(h.size(), covered) > 0) {
            return "its table of " + tableSize + " clusters covers " + Long.toUnsignedString(covered)
                    + " bytes, less than the virtual size " + h.size();
        }
        return null;
    }

    /** Reads a bitmap's table and returns the data cluster offsets it names (0 = none). */
    static long[] table(ByteSource src, long fileSize, Header h, Bitmap bm) throws IOException {
        if (bm.tableOffset() < 0) {
            throw broken(src.name(), bm.entryOffset(), "bitmap '" + bm.name() + "': table offset "
                    + Long.toUnsignedString(bm.tableOffset()) + " is not addressable");
        }
        // tableSize * cluster size <= 512 MiB, so the table is at most 8 MiB
        ByteBuffer t = Reads.read(src, fileSize, bm.tableOffset(), (int) (bm.tableSize() * 8), "bitmap table");
        long cs = h.clusterSize();
        long[] offsets = new long[(int) bm.tableSize()];
        for (int i = 0; i < offsets.length; i++) {
            long e = t.getLong(i * 8);
            long off = e & TABLE_ENTRY_OFFSET;
            boolean bad = (e & TABLE_ENTRY_RESERVED) != 0
                    || off != 0 && ((e & TABLE_ENTRY_ALL_ONES) != 0 || (off & (cs - 1)) != 0);
            if (bad) {
                throw new InvalidImageException(src.name(), "bitmap table", bm.tableOffset() + 8L * i, String.format(
                        "bitmap '%s': table entry %d is invalid (0x%016x: reserved bits, or an unaligned offset)",
                        bm.name(), i, e));
            }
            offsets[i] = off;
        }
        return offsets;
    }

    private static InvalidImageException broken(String file, long at, String reason) {
        return new InvalidImageException(file, "bitmap directory", at, "broken bitmap directory: " + reason);
    }
}
