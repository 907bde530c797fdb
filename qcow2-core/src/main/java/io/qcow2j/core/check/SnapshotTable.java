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
 * The internal snapshot table, read like qemu's check reads it: entries 8-byte aligned, each a
 * 40-byte header, extra data, id and name. Refuses (as qemu does, failing the check) an entry with
 * more than 1 KiB of extra data or a table over 64 MiB; bytes past the end of the file read as
 * zeros.
 *
 * @param snapshots the entries in table order
 * @param size      bytes from the table's offset to the end of the last name (qemu's
 *                  {@code snapshots_size}), the range the table occupies
 */
record SnapshotTable(List<Snapshot> snapshots, long size) {
    /** One snapshot table entry; sizes are unsigned values widened to long. */
    record Snapshot(int index, long entryOffset, long l1TableOffset, long l1Size, long extraDataSize, String id,
            String name) {
        String label() {
            return "snapshot " + index + " (id '" + id + "', name '" + name + "')";
        }
    }

    static SnapshotTable read(ByteSource src, long fileSize, Header h) throws IOException {
        long n = Integer.toUnsignedLong(h.nbSnapshots());
        if (n == 0) {
            return new SnapshotTable(List.of(), 0);
        }
        long start = h.snapshotsOffset();
        long offset = start;
        long tableLength = 0;
        List<Snapshot> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tableLength = align8(tableLength);
            offset = align8(offset);
            long entryOffset = offset;
            ByteBuffer e = Reads.read(src, fileSize, offset, SNAPSHOT_HEADER_LENGTH, "snapshot table");
            long l1Offset = e.getLong(SNAPSHOT_L1_TABLE_OFFSET);
            long l1Size = Integer.toUnsignedLong(e.getInt(SNAPSHOT_L1_SIZE));
            int idSize = e.getShort(SNAPSHOT_ID_STR_SIZE) & 0xffff;
            int nameSize = e.getShort(SNAPSHOT_NAME_SIZE) & 0xffff;
            long extra = Integer.toUnsignedLong(e.getInt(SNAPSHOT_EXTRA_DATA_SIZE));
            if (extra > MAX_SNAPSHOT_EXTRA_DATA) {
                throw new InvalidImageException(src.name(), "snapshot table", entryOffset, "snapshot table entry "
                        + i + " has " + extra + " bytes of extra data (qemu's limit is " + MAX_SNAPSHOT_EXTRA_DATA
                        + ")");
            }
            offset += SNAPSHOT_HEADER_LENGTH + extra;
            String id = string(src, fileSize, offset, idSize);
            offset += idSize;
            String name = string(src, fileSize, offset, nameSize);
            offset += nameSize;
            tableLength += SNAPSHOT_HEADER_LENGTH + extra + idSize + nameSize;
            if (tableLength > MAX_SNAPSHOT_TABLE_BYTES) {
                throw new InvalidImageException(src.name(), "snapshot table", start, "snapshot table exceeds "
                        + MAX_SNAPSHOT_TABLE_BYTES + " bytes at entry " + i + " (qemu's limit)");
            }
            out.add(new Snapshot(i, entryOffset, l1Offset, l1Size, extra, id, name));
        }
        return new SnapshotTable(out, offset - start);
    }

    private static String string(ByteSource src, long fileSize, long pos, int len) throws IOException {
        ByteBuffer b = Reads.read(src, fileSize, pos, len, "snapshot table");
        // names go into messages: keep them printable whatever the bytes are
        return new String(b.array(), 0, len, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
    }

    private static long align8(long v) {
        return (v + SNAPSHOT_ALIGNMENT - 1) / SNAPSHOT_ALIGNMENT * SNAPSHOT_ALIGNMENT;
    }
}
