package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.internal.compose.Windows;
import io.qcow2j.restore.testing.ChannelSink;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image that changes under a running restore: the composition reads an L2 table again (the
 * cache keeps one small slice of a table per image here) and finds it bad, or finds the file truncated. The target
 * was written by then, so the restore must end incomplete with the guest offset (exit 4), never
 * as a validation error that claims the target is untouched (exit 3). Issue 27, point 3.
 */
@RequiresQemu
class ChangedUnderfootTest {
    private static final long M = 1 << 20;
    /** Where the second L2 table of a 64 KiB-cluster image starts mapping. */
    private static final long SECOND_TABLE = 512 * M;
    /** Where the data the corrupted L2 entry maps lies, inside the second table. */
    private static final long CORRUPTED = SECOND_TABLE + 100 * M;

    @TempDir
    Path dir;

    /** Two images of 1 GiB with data in both L2 tables of each. */
    private List<Path> chain() throws IOException {
        Path full = dir.resolve("full.qcow2");
        QemuImg.create(full, 1024 * M, "");
        QemuIo.on(full).write(0, 2 * M, 0x11).write(SECOND_TABLE + 64 * M, 2 * M, 0x12).run();
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(inc, 1024 * M, "");
        // data in every window of the first table: the planning thread hands out a block per window
        // and so waits for the held worker long before it reaches the second table
        QemuIo.Builder q = QemuIo.on(inc);
        for (long w = 0; w < SECOND_TABLE; w += 64 * M) {
            q.write(w + M, M, 0x21);
        }
        q.write(CORRUPTED, M, 0x22).run();
        return List.of(full, inc);
    }

    /** Host offset of the L2 table of L1 entry {@code index}. */
    private static long l2Table(FileChannel ch, int index) throws IOException {
        long l1 = u64(ch, Layout.HDR_L1_TABLE_OFFSET);
        return u64(ch, l1 + 8L * index) & 0x00ff_ffff_ffff_fe00L;
    }

    private static long u64(FileChannel ch, long pos) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        ch.read(b, pos);
        return b.flip().getLong();
    }

    /**
     * Restores {@code chain} into a sink whose first write runs {@code change}: with one worker and
     * a sink that writes its zeros, the planning thread is held back by the work in flight, so it
     * reaches the second table only after the change.
     */
    private RestoreIncompleteException restoreWhileChanging(List<Path> chain, IoAction change) throws IOException {
        Path target = dir.resolve("disk.raw");
        try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
            f.setLength(1024 * M);
        }
        AtomicBoolean changed = new AtomicBoolean();
        try (Chain c = Chain.open(chain, OpenOptions.defaults().withL2CacheBytes(4096));
                FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
            ChannelSink sink = new ChannelSink(target, out).beforeWrite(() -> {
                if (changed.compareAndSet(false, true)) {
                    try {
                        change.run();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            Restore r = Restore.of(c, sink, RestoreOptions.builder().workers(1).build());
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, r::run);
            assertTrue(changed.get(), "the change never ran");
            return e;
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    @Test
    void aTableCorruptedMidRestoreEndsIncompleteAtItsWindow() throws IOException {
        List<Path> chain = chain();
        Path inc = chain.get(1);
        RestoreIncompleteException e = restoreWhileChanging(chain, () -> {
            try (FileChannel ch = FileChannel.open(inc, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long table = l2Table(ch, 1);
                // a reserved bit (bit 1) in the entry of the data written at 612 MiB
                int entry = (int) ((CORRUPTED - SECOND_TABLE) >> 16);
                ByteBuffer b = ByteBuffer.allocate(8);
                ch.read(b, table + 8L * entry);
                long v = b.flip().getLong() | 2;
                ch.write(ByteBuffer.allocate(8).putLong(0, v), table + 8L * entry);
            }
        });
        // the entry is read again, and found bad, when the window that holds it is composed
        long window = CORRUPTED / Windows.SIZE * Windows.SIZE;
        assertEquals(window, e.guestOffset(), e.getMessage());
        String m = e.getMessage();
        assertTrue(m.contains(inc.toString()) && m.contains("reserved bits"), m);
        assertTrue(m.contains("guest offset " + window) && m.endsWith("the target is incomplete"), m);
    }

    @Test
    void anImageTruncatedMidRestoreEndsIncomplete() throws IOException {
        List<Path> chain = chain();
        Path full = chain.get(0);
        RestoreIncompleteException e = restoreWhileChanging(chain, () -> {
            try (FileChannel ch = FileChannel.open(full, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.truncate(l2Table(ch, 1)); // the second table and all after it are gone
            }
        });
        assertTrue(e.guestOffset() >= 0 && e.guestOffset() <= SECOND_TABLE + 64 * M, e.getMessage());
        assertTrue(e.getMessage().contains(full.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }
}
