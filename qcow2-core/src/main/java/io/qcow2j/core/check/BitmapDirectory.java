package io.qcow2j.core.check;

import static io.qcow2j.core.internal.format.Layout.*;

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
    /** One directory entry: where its table is and how many 64-bit entries it has. */
    record Bitmap(String name, long entryOffset, long tableOffset, long tableSize) {
    }

    private BitmapDirectory() {
    }

    static List<Bitmap> read(ByteSource src, long fileSize, Header h, Header.BitmapsExtension ext)
            throws IOException {
        String file = src.name();
        long dirOffset = ext.directoryOffset();
        int size = (int) ext.directorySize(); // HeaderParser bounds it to 64 MiB
        ByteBuffer dir = Reads.read(src, fileSize, dirOffset, size, "bitmap directory");
        long nb = Integer.toUnsignedLong(ext.nbBitmaps());
        List<Bitmap> out = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            long at = dirOffset + pos;
            if (pos + BITMAP_HEADER_LENGTH > size) {
                throw broken(file, at, "entry header runs past the end of the directory");
            }
            if (out.size() + 1 > nb) {
                throw broken(file, at, "more bitmaps than the " + nb + " the header extension announces");
            }
            int p = (int) pos;
            long tableOffset = dir.getLong(p + BITMAP_TABLE_OFFSET);
            long tableSize = Integer.toUnsignedLong(dir.getInt(p + BITMAP_TABLE_SIZE));
            int flags = dir.getInt(p + BITMAP_FLAGS);
            int type = dir.get(p + BITMAP_TYPE) & 0xff;
            int granularityBits = dir.get(p + BITMAP_GRANULARITY_BITS) & 0xff;
            int nameSize = dir.getShort(p + BITMAP_NAME_SIZE) & 0xffff;
            long extra = Integer.toUnsignedLong(dir.getInt(p + BITMAP_EXTRA_DATA_SIZE));
            long entrySize = (BITMAP_HEADER_LENGTH + nameSize + extra + BITMAP_ALIGNMENT - 1) / BITMAP_ALIGNMENT
                    * BITMAP_ALIGNMENT;
            if (pos + entrySize > size) {
                throw broken(file, at, "entry runs past the end of the directory");
            }
            if (extra != 0) {
                throw broken(file, at, "bitmap extra data is not supported (qemu refuses it)");
            }
            String name = new String(dir.array(), p + BITMAP_HEADER_LENGTH, nameSize, StandardCharsets.UTF_8);
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
        if (tableSize == 0 || tableSize > MAX_BITMAP_TABLE_SIZE) {
            return "bitmap_table_size " + tableSize + " out of range 1.." + MAX_BITMAP_TABLE_SIZE;
        }
        if (tableOffset == 0 || (tableOffset & (cs - 1)) != 0) {
            return "bitmap_table_offset " + Long.toUnsignedString(tableOffset) + " is 0 or not cluster aligned";
        }
        if (granularityBits < MIN_BITMAP_GRANULARITY_BITS || granularityBits > MAX_BITMAP_GRANULARITY_BITS) {
            return "granularity_bits " + granularityBits + " out of range " + MIN_BITMAP_GRANULARITY_BITS + ".."
                    + MAX_BITMAP_GRANULARITY_BITS;
        }
        if ((flags & BITMAP_RESERVED_FLAGS) != 0) {
            return String.format("reserved flags set (0x%08x)", flags);
        }
        if (nameSize > MAX_BITMAP_NAME_SIZE) {
            return "name of " + nameSize + " bytes exceeds " + MAX_BITMAP_NAME_SIZE;
        }
        if (type != BITMAP_TYPE_DIRTY_TRACKING) {
            return "unknown bitmap type " + type;
        }
        long phys = tableSize * cs;
        if (phys > MAX_BITMAP_PHYS_SIZE) {
            return "bitmap data of " + phys + " bytes exceeds qemu's limit of " + MAX_BITMAP_PHYS_SIZE;
        }
        // a bitmap not marked in use must cover the whole disk; phys * 8 << 31 fits in 64 unsigned bits
        long covered = (phys * 8) << granularityBits;
        if ((flags & BITMAP_FLAG_IN_USE) == 0 && Long.compareUnsigned(h.size(), covered) > 0) {
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
        ByteBuffer t = Reads.read(src, fileSize, bm.tableOffset(), (int) (bm.tableSize() * ENTRY_BYTES),
                "bitmap table");
        long cs = h.clusterSize();
        long[] offsets = new long[(int) bm.tableSize()];
        for (int i = 0; i < offsets.length; i++) {
            long e = t.getLong(i * ENTRY_BYTES);
            long off = e & BITMAP_ENTRY_OFFSET_MASK;
            boolean bad = (e & BITMAP_ENTRY_RESERVED) != 0
                    || off != 0 && ((e & BITMAP_ENTRY_ALL_ONES) != 0 || (off & (cs - 1)) != 0);
            if (bad) {
                long at = bm.tableOffset() + (long) ENTRY_BYTES * i;
                throw new InvalidImageException(src.name(), "bitmap table", at, String.format(
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
